"""Ingest end to end on the real model and real Chroma (embedded and server): idempotent, honest, prunable."""

from __future__ import annotations

import errno
import json
import re
import shutil

import numpy as np
from chromadb.api.models.Collection import Collection
from chromadb.errors import InternalError
from click.testing import CliRunner
from conftest import SEED, by_path, chunk, consistent, realtimeqa_subset

from assistant.cli import main
from assistant.settings import Settings
from vectorstore.ingest import Ingestor
from vectorstore.store import Archive


def test_seed_ingested_with_metadata_and_sections(archive):
    summary = Ingestor(archive).run([SEED], progress=False)
    assert (summary.added, summary.failed) == (1, 0)
    (article_id,) = [i for ids in by_path(archive).values() for i in ids]
    stored = archive.article(article_id)
    assert stored.title.startswith("Beirut – Hamas Leader")
    assert "Ahmed Abdel Hadi" in stored.text and "Please enter" not in stored.text
    sections = {chunk(archive, c).section for c in consistent(archive)}
    assert sections == {"body", "comments"}


def test_reingest_is_a_no_op_and_a_change_replaces_chunks(archive, tmp_path):
    news = realtimeqa_subset(tmp_path / "news.jsonl", 6)
    assert Ingestor(archive).run([news], progress=False).added == 6
    before = consistent(archive)
    again = Ingestor(archive).run([news], progress=False)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 6)
    assert consistent(archive) == before

    records = [json.loads(line) for line in news.read_text().splitlines()]
    records[0]["text"] = "Completely rewritten story about a lunar eclipse seen over Lisbon on Tuesday."
    news.write_text("".join(json.dumps(r) + "\n" for r in records))
    changed = Ingestor(archive).run([news], progress=False)
    assert (changed.updated, changed.unchanged) == (1, 5)
    after = consistent(archive)
    assert len(after) < len(before)
    assert any("lunar eclipse" in chunk(archive, c).text for c in after)


def test_duplicate_story_stored_once_with_every_source(archive, tmp_path):
    record = json.loads(realtimeqa_subset(tmp_path / "one.jsonl", 1).read_text())
    wire = dict(record, url="https://www.example.org/copy", source="Example Wire")
    wire["text"] = record["text"].replace("\n\n", "\n\n", 1) + "\n\nThe Associated Press contributed."
    (tmp_path / "two.jsonl").write_text(json.dumps(record) + "\n" + json.dumps(wire) + "\n")
    summary = Ingestor(archive).run([tmp_path / "two.jsonl"], progress=False)
    assert (summary.added, summary.duplicates) == (1, 1)
    assert archive.stats()["articles"] == 1
    (article_id,) = by_path(archive)[str(tmp_path / "two.jsonl")]
    assert archive.article(article_id).sources == ["usatoday.com", "Example Wire"]


def test_prune_removes_articles_of_deleted_files(archive, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(SEED, folder / "seed.txt")
    (folder / "other.md").write_text("# Harbour report\n\nThe harbour reopened on Monday after the storm.\n")
    assert Ingestor(archive).run([folder], progress=False).added == 2
    (folder / "other.md").unlink()
    summary = Ingestor(archive).run([folder], prune=True, progress=False)
    assert summary.pruned == 1
    assert archive.stats()["articles"] == 1
    assert all("harbour" not in chunk(archive, c).text for c in consistent(archive))


def test_bad_files_are_named_and_the_batch_goes_on(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "empty.txt").write_text("")
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02\xffPNG" * 50)
    (folder / "latin1.txt").write_bytes("Caf\xe9 story".encode("latin-1"))
    (folder / "broken.html").write_text("<html><body><div><p></div></span>")
    (folder / "records.jsonl").write_text(
        json.dumps({"title": "Good one", "text": "The bridge over the Tagus opened in 1966 to traffic."}) + "\n"
        + "{not json\n"
        + json.dumps({"title": "No text here"}) + "\n"
    )
    shutil.copy(SEED, folder / "seed.txt")
    store = tmp_path / "store"
    result = CliRunner().invoke(main, ["ingest", str(folder), "--store", str(store), "--quiet"])
    assert result.exit_code == 1
    lines = result.stderr.splitlines() if hasattr(result, "stderr") else result.output.splitlines()
    assert any(line.startswith(f"{folder / 'empty.txt'}: ") and "empty" in line for line in lines)
    assert any(line.startswith(f"{folder / 'binary.txt'}: ") for line in lines)
    assert any(line.startswith(f"{folder / 'latin1.txt'}:1: ") and "UTF-8" in line for line in lines)
    assert any(line.startswith(f"{folder / 'broken.html'}: ") for line in lines)
    assert any(line.startswith(f"{folder / 'records.jsonl'}:2: ") and "JSON" in line for line in lines)
    assert any(line.startswith(f"{folder / 'records.jsonl'}:3: ") and "text" in line for line in lines)
    assert "added 2" in result.output and "failed 6" in result.output
    stats = CliRunner().invoke(main, ["stats", "--store", str(store), "--json"])
    numbers = json.loads(stats.output)
    assert numbers["articles"] == 2 and numbers["chunks"] >= 3
    assert set(numbers) >= {"articles", "chunks", "sources", "first_published", "last_published"}


def test_stats_on_a_missing_store_is_one_line(tmp_path):
    result = CliRunner().invoke(main, ["stats", "--store", str(tmp_path / "nowhere")])
    assert result.exit_code == 1
    assert "no archive here yet" in result.output and "Traceback" not in result.output


def test_a_full_disk_is_one_line_saying_what_was_stored_and_what_to_do(tmp_path, monkeypatch):
    """Chroma's chained tracebacks ("Error in compaction: Failed to apply logs…") become one line; the re-run
    after freeing space stores the rest, each article once."""
    news = realtimeqa_subset(tmp_path / "news.jsonl", 20)
    store = tmp_path / "store"
    real = Collection.upsert
    calls = {"n": 0}

    def full(self, *args, **kwargs):
        if self.name.endswith(".articles"):
            calls["n"] += 1
            if calls["n"] > 1:
                raise InternalError("Error in compaction: Failed to apply logs to the metadata segment") from OSError(
                    errno.ENOSPC, "No space left on device")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Collection, "upsert", full)
    monkeypatch.setattr("vectorstore.ingest._FLUSH_CHUNKS", 20)  # several commits, the second one fails
    result = CliRunner().invoke(main, ["ingest", str(news), "--store", str(store), "--quiet"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    (line,) = [x for x in result.output.splitlines() if x.strip()]
    stored = int(re.search(r"(\d+) articles were stored", line).group(1))
    assert "the disk is full" in line and "run the same command again" in line and 0 < stored < 20
    monkeypatch.setattr(Collection, "upsert", real)
    again = CliRunner().invoke(main, ["ingest", str(news), "--store", str(store), "--quiet"])
    assert again.exit_code == 0 and f"added {20 - stored}, updated 0, unchanged {stored}" in again.output


def test_progress_counts_articles_of_a_total_counted_first(archive, tmp_path, capsys):
    records = [{"title": f"Story {i}", "date": "2020-01-0{i}", "text": f"Story number {i} happened in town {i}."}
               for i in range(1, 6)]
    path = tmp_path / "five.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records) + "\n{broken\n")
    summary = Ingestor(archive).run([path, SEED], progress=True)
    assert summary.added == 6 and summary.failed == 1
    bar = capsys.readouterr().err.replace("\r", "\n").splitlines()
    assert any(re.search(r"ingest: 100%.*\b7/7 \[", line) for line in bar), bar  # 6 lines + the seed file
    assert any("articles" in line and "stored" in line for line in bar)


def test_two_worker_processes_store_what_one_does(tmp_path):
    """`--workers 2` embeds in two processes; the parent alone writes: the same chunks (same ids) with the same
    vectors up to int8 batch noise, and a bad record still only fails itself."""
    news = realtimeqa_subset(tmp_path / "news.jsonl", 12)
    news.write_text(news.read_text() + "{not json\n")
    stores = {}
    for workers in (1, 2):
        store = tmp_path / f"store-{workers}"
        result = CliRunner().invoke(main, ["ingest", str(news), "--store", str(store), "--quiet",
                                           "--workers", str(workers)])
        assert result.exit_code == 1 and "added 12" in result.output and "failed 1" in result.output
        archive = Archive(Settings(store=store))
        consistent(archive)
        rows = archive.parts.chunks.get(include=["embeddings"])
        stores[workers] = dict(zip(rows["ids"], np.asarray(rows["embeddings"]), strict=True))
    assert stores[1].keys() == stores[2].keys() and len(stores[1]) >= 24
    cosines = [float(stores[1][i] @ stores[2][i]) for i in stores[1]]
    assert min(cosines) >= 0.99
