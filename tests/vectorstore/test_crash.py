"""SIGKILL the real `archive-chat ingest` part-way; the next run stores every article exactly once, in step."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import by_path, consistent

from assistant.cli import main
from vectorstore.article import digest, normalize_url
from vectorstore.doctor import check
from vectorstore.ingest import Ingestor
from vectorstore.settings import StoreSettings
from vectorstore.store import Archive

ARTICLES = 600
CLI = str(Path(sys.executable).with_name("archive-chat"))
WORDS = ["harbour", "council", "river", "bridge", "museum", "festival", "railway", "station", "market", "school",
         "hospital", "library", "mayor", "teacher", "farmer", "engineer", "painter", "ferry", "tram", "storm", "flood",
         "harvest", "election", "budget", "stone", "iron", "glass"]
VERBS = ["opened", "closed", "repaired", "visited", "praised", "funded", "delayed", "moved", "reported", "planned"]
TOWNS = [f"{a} {b}" for a in ("Port", "Lake", "Old", "New", "West") for b in ("Alder", "Birch", "Cedar", "Elm")]


def many_articles(path: Path, n: int = ARTICLES) -> list[str]:
    """n short, distinct articles (no two near-duplicates) as JSONL; returns their URLs."""
    rng = random.Random(7)

    def sentence() -> str:
        return (f"The {rng.choice(WORDS)} {rng.choice(WORDS)} in {rng.choice(TOWNS)} {rng.choice(VERBS)} the "
                f"{rng.choice(WORDS)} {rng.choice(WORDS)} on day {rng.randint(1, 999)}.")

    urls = [f"https://example.org/news/{i}" for i in range(n)]
    path.write_text("".join(
        json.dumps({"title": f"Report {i}", "url": url, "source": "example.org", "date": f"2024-01-{1 + i % 28:02d}",
                    "text": f"Item {i}. {sentence()} {sentence()}"}) + "\n"
        for i, url in enumerate(urls)
    ))
    return urls


def run_until(args: list[str], ready, env: dict | None = None) -> None:
    """Start the CLI and SIGKILL it as soon as `ready(stderr so far)` says it has stored some of its work."""
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    seen = ""
    try:
        while proc.poll() is None:
            seen += proc.stderr.read(1)
            if ready(seen):
                proc.send_signal(signal.SIGKILL)
                break
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, "ingest finished before it could be killed"


def past(n: int):
    """True once tqdm's bar (on stderr) shows at least n articles stored (embedded and written: the first flush of
    256 chunks, here 256 one-chunk articles, is stored at once)."""
    def ready(stderr: str) -> bool:
        counts = [int(m) for m in re.findall(r"(\d+) stored", stderr)]
        return bool(counts) and counts[-1] >= n
    return ready


def assert_every_article_once(archive: Archive, urls: list[str]) -> None:
    ids = sorted(digest(normalize_url(u)) for u in urls)
    assert sorted(i for ids_ in by_path(archive).values() for i in ids_) == ids
    assert archive.stats()["articles"] == len(urls)
    chunk_ids = consistent(archive)
    assert {cid.split(":")[0] for cid in chunk_ids} == set(ids)


@pytest.mark.parametrize("mode", ["embedded", pytest.param("server", marks=pytest.mark.server)])
def test_sigkilled_ingest_rerun_stores_every_article_once(mode, tmp_path, embedder, request):
    urls = many_articles(tmp_path / "news.jsonl")
    store = tmp_path / "store"
    url = request.getfixturevalue("chroma_server") if mode == "server" else None
    collection = f"crash{abs(hash(tmp_path)) % 10**9}"
    env = {**os.environ, "ARCHIVE_CHAT_COLLECTION": collection, **({"ARCHIVE_CHAT_CHROMA_URL": url} if url else {})}
    ingest = [CLI, "ingest", str(tmp_path / "news.jsonl"), "--store", str(store)]

    run_until(ingest, past(1), env)  # the first batch stored, the rest still to come
    stats = subprocess.run([CLI, "stats", "--store", str(store), "--json"], capture_output=True, text=True,
                           timeout=300, env=env)
    stored = json.loads(stats.stdout)["articles"]
    assert 256 <= stored < ARTICLES

    rerun = subprocess.run([*ingest, "--quiet"], capture_output=True, text=True, timeout=600, env=env)
    assert rerun.returncode == 0, rerun.stderr
    assert f"added {ARTICLES - stored}, updated 0, unchanged {stored}, duplicates 0, failed 0" in rerun.stdout
    doctor = subprocess.run([CLI, "doctor", "--store", str(store), "--json"], capture_output=True, text=True,
                            timeout=300, env=env)
    assert doctor.returncode == 0 and json.loads(doctor.stdout)["healthy"], doctor.stdout + doctor.stderr
    settings = StoreSettings(store=store, chroma_url=url, collection=collection)
    assert_every_article_once(Archive(settings, embedder), urls)


def test_a_write_dying_between_chunks_and_commit_is_invisible_then_healed(archive, tmp_path, monkeypatch):
    """Chunks stored, article records not: no reader takes them, the re-run stores each article once, and
    doctor (no grace) finds and drops what a run that is never repeated left."""
    urls = many_articles(tmp_path / "news.jsonl", 20)
    upsert = type(archive.parts.articles).upsert

    def die(self, *args, **kwargs):
        if self.name.endswith(".articles"):
            raise KeyboardInterrupt("killed")
        return upsert(self, *args, **kwargs)

    monkeypatch.setattr(type(archive.parts.articles), "upsert", die)
    with pytest.raises(KeyboardInterrupt):
        Ingestor(archive).run([tmp_path / "news.jsonl"], progress=False)
    monkeypatch.undo()
    assert archive.parts.chunks.count() >= 20 and archive.parts.articles.count() == 0
    ids = [cid for cid, _, _ in archive.read.chunk_rows()]
    assert archive.passages(ids) == {}  # uncommitted: never read
    assert check(archive, grace=0).uncommitted_chunks == sorted(ids)
    assert check(archive).in_flight == sorted(ids)  # young: maybe an ingest still at work, so left alone

    Ingestor(archive).run([tmp_path / "news.jsonl"], progress=False)
    assert_every_article_once(archive, urls)


@pytest.mark.server
def test_two_ingests_at_once_into_one_server_store_each_article_once(chroma_server, tmp_path, embedder):
    urls = many_articles(tmp_path / "news.jsonl", 120)
    collection = f"pair{abs(hash(tmp_path)) % 10**9}"
    env = {**os.environ, "ARCHIVE_CHAT_COLLECTION": collection, "ARCHIVE_CHAT_CHROMA_URL": chroma_server}
    runs = [subprocess.Popen([CLI, "ingest", str(tmp_path / "news.jsonl"), "--store", str(tmp_path / f"local{i}"),
                              "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
            for i in range(2)]
    for run in runs:
        out, err = run.communicate(timeout=600)
        assert run.returncode == 0, err
    settings = StoreSettings(store=tmp_path / "reader", chroma_url=chroma_server, collection=collection)
    archive = Archive(settings, embedder)
    assert_every_article_once(archive, urls)
    assert CliRunner().invoke(main, ["doctor", "--store", str(tmp_path / "reader"), "--chroma-url", chroma_server],
                              env={"ARCHIVE_CHAT_COLLECTION": collection}).exit_code == 0
