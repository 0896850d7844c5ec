"""SIGKILL the real `archive-chat ingest` part-way; the next run stores every article exactly once, in step."""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner

from assistant.cli import main
from vectorstore.article import digest, normalize_url
from vectorstore.doctor import check
from vectorstore.settings import Settings
from vectorstore.store import Archive

ARTICLES = 300
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


def count(db: Path, table: str) -> int:
    """Rows in a docstore table, read-only, while another process may be writing (0 before it exists)."""
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    except sqlite3.Error:
        return 0


def kill_mid_write(args: list[str], db: Path) -> None:
    """Start the CLI and SIGKILL it once it has stored some articles and is halfway through writing more."""
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while proc.poll() is None:
            if count(db, "articles") and count(db, "inflight"):
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.01)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, "ingest finished before it could be killed"


def test_sigkilled_ingest_rerun_stores_every_article_once(tmp_path, embedder):
    urls = many_articles(tmp_path / "news.jsonl")
    store = tmp_path / "store"
    db = store / "docstore.sqlite3"
    ingest = [CLI, "ingest", str(tmp_path / "news.jsonl"), "--store", str(store), "--quiet"]

    kill_mid_write(ingest, db)
    stored = count(db, "articles")
    assert 0 < stored < ARTICLES and count(db, "inflight")
    doctor = subprocess.run([CLI, "doctor", "--store", str(store), "--json"], capture_output=True, text=True,
                            timeout=300)
    assert doctor.returncode == 1, doctor.stderr
    found = json.loads(doctor.stdout)["before"]
    assert found["problems"]["interrupted_writes"] > 0 and found["bm25"] != "ok"

    rerun = subprocess.run(ingest, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    assert f"added {ARTICLES - stored}, updated 0, unchanged {stored}, duplicates 0, failed 0" in rerun.stdout

    archive = Archive(Settings(store=store), embedder)
    docstore = archive.docstore
    assert docstore.stats()["articles"] == ARTICLES
    assert sorted(i for ids in docstore.ids_by_path().values() for i in ids) == sorted(
        digest(normalize_url(u)) for u in urls)
    assert docstore.db.execute("SELECT url FROM articles GROUP BY url HAVING COUNT(*) > 1").fetchall() == []
    chunk_ids = docstore.all_chunk_ids()
    assert {cid.split(":")[0] for cid in chunk_ids} == {digest(normalize_url(u)) for u in urls}
    assert archive.vectors.ids() == chunk_ids
    assert set(archive.lexical.ids) == chunk_ids and len(archive.lexical.ids) == len(chunk_ids)
    assert docstore.inflight() == [] and not archive.lexical_stale_marker.exists()
    report = check(archive)
    assert report.healthy, report.lines()
    assert CliRunner().invoke(main, ["doctor", "--store", str(store)]).exit_code == 0

