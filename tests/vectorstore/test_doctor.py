"""`archive-chat doctor`: damaged stores are reported class by class, `--fix` heals them, answers come back."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest
from chromadb.errors import InternalError
from click.testing import CliRunner
from conftest import MODES, SEED, by_path, consistent

from assistant import Assistant
from assistant.cli import main
from vectorstore.article import Article, Chunk
from vectorstore.bm25 import Bm25Index
from vectorstore.chroma import NO_VECTOR, chunk_ids, chunk_record
from vectorstore.doctor import check, fix
from vectorstore.ingest import Ingestor
from vectorstore.settings import StoreSettings
from vectorstore.store import Archive

HAMAS = "Who headed the Hamas delegation that met Hezbollah in Beirut?"
STORIES = [
    ("Harbour reopens", "The harbour at Porto Alto reopened on Monday after the storm.\n\nFerries resumed at noon."),
    ("Library extension", "The city library opened a new reading room with two hundred seats on Friday."),
    ("Tram line delayed", "Work on the tram line to Fairview is delayed until spring, the council said."),
    ("Bridge repainted", "Painters finished the old iron bridge over the river Alder after six weeks."),
]


def short_news(path: Path) -> Path:
    """Four short articles: small and quick to embed."""
    records = [{"title": t, "text": x, "url": f"https://example.org/{i}", "source": "example.org",
                "date": f"2024-03-0{i + 1}"} for i, (t, x) in enumerate(STORIES)]
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def stray_chunk(archive: Archive, written: float = 0.0) -> str:
    """A chunk of an article that was never committed (as a writer that died before its commit leaves it)."""
    article = Article("A stray passage about tram timetables in Lisbon.", url="https://example.org/stray")
    chunk = Chunk(article.id, "body", 0, 0, len(article.text), article.text)
    meta = {**chunk_record(article, chunk), "written": written}
    archive.parts.chunks.upsert(ids=[chunk.id], embeddings=archive.embedder.embed_documents([chunk.text]),
                                documents=[chunk.text], metadatas=[meta])
    return chunk.id


def doctor_args(archive: Archive, monkeypatch) -> list[str]:
    """`archive-chat doctor` on `archive` as a user names it: its folder, and its server and collection if any."""
    monkeypatch.setenv("ARCHIVE_CHAT_COLLECTION", archive.settings.collection)
    args = ["doctor", "--store", str(archive.folder)]
    return args + ["--chroma-url", archive.settings.chroma_url] if archive.settings.chroma_url else args


@pytest.mark.parametrize("archive", MODES, indirect=True)
class TestDoctor:
    """doctor on the embedded store and on a Chroma server (whose BM25 is this machine's local folder)."""

    def test_doctor_reports_damage_and_fix_heals_it(self, archive, tmp_path, monkeypatch):
        Ingestor(archive).run([SEED, short_news(tmp_path / "news.jsonl")], progress=False)
        healthy_ids = consistent(archive)
        (seed_id,) = by_path(archive)[str(SEED)]
        seed_chunks = chunk_ids(seed_id, dict(archive.records())[seed_id])
        archive.write.delete_chunks(seed_chunks[:2])  # chunks lost from a committed article
        orphan = stray_chunk(archive)
        gone = Article("An article deleted by hand.", url="https://example.org/gone")
        archive.parts.aliases.upsert(ids=["dup"], embeddings=[NO_VECTOR],
                                     metadatas=[{"article_id": gone.id, "path": ""}])
        archive.parts.comments.upsert(ids=[gone.id], embeddings=[NO_VECTOR], documents=["A comment left behind."])
        archive.bump()

        args = doctor_args(archive, monkeypatch)
        run = CliRunner().invoke
        found = run(main, [*args, "--json"])
        assert found.exit_code == 1, found.output
        before = json.loads(found.output)["before"]
        assert before["problems"] == {"uncommitted_chunks": 1, "articles_missing_chunks": 1, "dangling_aliases": 1,
                                      "orphan_comments": 1}
        assert before["examples"]["uncommitted_chunks"] == [orphan]
        assert before["examples"]["articles_missing_chunks"] == [seed_id]
        assert before["bm25"] == "ok"  # rebuilt as any reader would: committed chunks only, so the stray is not in it
        assert not json.loads(found.output)["healthy"]

        fixed = run(main, [*args, "--fix"])
        assert fixed.exit_code == 0, fixed.output
        assert "fixed: dropped 1 chunks of no committed article" in fixed.output
        assert "re-cut and re-embedded 1 articles" in fixed.output
        assert f"rebuilt BM25 over {len(healthy_ids)} chunks" in fixed.output
        assert fixed.output.rstrip().endswith("healthy")

        again = run(main, [*args, "--json"])
        assert again.exit_code == 0 and json.loads(again.output)["before"]["healthy"]
        assert consistent(archive) == healthy_ids

        answer = Assistant(archive).ask(HAMAS)
        assert not answer.refused and "Ahmed Abdel Hadi" in answer.answer
        assert answer.citations[0].article.id == seed_id

    def test_recent_uncommitted_chunks_are_left_for_the_ingest_writing_them(self, archive, tmp_path):
        Ingestor(archive).run([short_news(tmp_path / "news.jsonl")], progress=False)
        young = stray_chunk(archive, written=time.time())
        report = check(archive)
        assert report.in_flight == [young] and report.uncommitted_chunks == [] and "left for the ingest" in \
            "\n".join(report.lines())
        fix(archive, check(archive, grace=0))
        assert check(archive, grace=0).healthy and young not in consistent(archive)

    def test_an_index_from_before_stemming_is_rebuilt(self, archive, tmp_path):
        Ingestor(archive).run([short_news(tmp_path / "news.jsonl")], progress=False)
        assert archive.bm25_index().token == archive.version()  # built by ingest, or by a replica's first question
        (archive.folder / "bm25" / "version.json").unlink()  # as built before indexes recorded the store version
        assert check(archive).healthy  # brought up to date as any reader would
        assert Bm25Index(archive.folder / "bm25").token == archive.version()

    def test_doctor_on_a_full_disk_is_one_line(self, archive, tmp_path, monkeypatch):
        Ingestor(archive).run([short_news(tmp_path / "news.jsonl")], progress=False)

        def full(*args, **kwargs):
            raise InternalError("Error in compaction: Failed to apply logs to the metadata segment")

        monkeypatch.setattr("chromadb.api.models.Collection.Collection.get", full)
        result = CliRunner().invoke(main, doctor_args(archive, monkeypatch))
        assert result.exit_code == 1 and "Traceback" not in result.output
        assert result.output.strip() == ("Error: the disk is full; nothing stored is lost: fix that and run the same "
                                         "command again")


def test_a_store_from_before_chroma_held_articles_is_moved_once(tmp_path, embedder):
    """Embedded only (no server held this layout): an older store's SQLite docstore is moved in once, same answers."""
    archive = Archive(StoreSettings(store=tmp_path / "store"), embedder)
    Ingestor(archive).run([SEED, short_news(tmp_path / "news.jsonl")], progress=False)
    healthy_ids = consistent(archive)
    records = dict(archive.records())
    legacy_sqlite(archive, records)
    archive.parts.articles.delete(ids=list(records))
    archive.parts.comments.delete(ids=list(records))
    archive.close()

    reopened = Archive(archive.settings, embedder)
    assert reopened.stats()["articles"] == len(records)
    assert (archive.folder / "docstore.sqlite3.moved").exists() and not (archive.folder / "docstore.sqlite3").exists()
    assert consistent(reopened) == healthy_ids
    assert "Ahmed Abdel Hadi" in Assistant(reopened).ask(HAMAS).answer


def legacy_sqlite(archive: Archive, records: dict[str, dict]) -> None:
    """Write the docstore an older archive-chat kept beside the vectors, from what the store holds now."""
    with sqlite3.connect(archive.folder / "docstore.sqlite3") as db:
        db.executescript("""
            CREATE TABLE articles (id TEXT PRIMARY KEY, content_hash TEXT NOT NULL, title TEXT, url TEXT, source TEXT,
                published TEXT, authors TEXT, path TEXT, line INTEGER, ingested_at REAL, text TEXT, comments TEXT,
                also TEXT NOT NULL DEFAULT '[]', minhash BLOB);
            CREATE TABLE chunks (id TEXT PRIMARY KEY, article_id TEXT NOT NULL, section TEXT, idx INTEGER,
                char_start INTEGER, char_end INTEGER, text TEXT);
            CREATE TABLE aliases (id TEXT PRIMARY KEY, article_id TEXT NOT NULL, path TEXT);""")
        for article_id, meta in records.items():
            stored = archive.article(article_id)
            db.execute("INSERT INTO articles VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", (
                article_id, meta["content_hash"], stored.title, stored.url, stored.source, stored.published,
                json.dumps(stored.authors), stored.path, meta.get("line"), stored.ingested_at, stored.text,
                stored.comments, "[]", None))
        for cid, text, m in archive.read.chunk_rows():
            db.execute("INSERT INTO chunks VALUES (?,?,?,?,?,?,?)", (cid.split("@")[0], m["article_id"], m["section"],
                                                                    m["index"], m["char_start"], m["char_end"], text))
    got = archive.parts.chunks.get(include=["embeddings", "documents", "metadatas"])  # keyed as they were then
    archive.parts.chunks.upsert(ids=[cid.split("@")[0] for cid in got["ids"]], embeddings=got["embeddings"],
                                documents=got["documents"],
                                metadatas=[{k: v for k, v in m.items() if k != "version"} for m in got["metadatas"]])
    archive.parts.chunks.delete(ids=got["ids"])
