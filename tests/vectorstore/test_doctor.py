"""`archive-chat doctor`: damaged stores are reported class by class, `--fix` heals them, answers come back."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

from click.testing import CliRunner
from conftest import SEED, realtimeqa_subset

from assistant import Assistant
from assistant.cli import main
from vectorstore.article import Article, Chunk
from vectorstore.doctor import check, fix
from vectorstore.ingest import Ingestor
from vectorstore.settings import Settings
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


def stray_vector(archive: Archive) -> str:
    """Write a vector whose chunk no docstore row knows; returns its id."""
    article = Article("A stray passage about tram timetables in Lisbon.", url="https://example.org/stray")
    chunk = Chunk(article.id, "body", 0, 0, len(article.text), article.text)
    archive.vectors.add([(article, chunk)])
    return chunk.id


def agree(archive: Archive) -> set[str]:
    """Docstore, Chroma and BM25 hold the same chunks, read afresh from disk; returns them."""
    fresh = Archive(archive.settings, archive.embedder)
    ids = fresh.docstore.all_chunk_ids()
    assert fresh.vectors.ids() == ids
    assert set(fresh.lexical.ids) == ids and len(fresh.lexical.ids) == len(ids)
    return ids


def test_doctor_reports_damage_and_fix_heals_it(archive, tmp_path, monkeypatch):
    Ingestor(archive).run([SEED, realtimeqa_subset(tmp_path / "news.jsonl", 1)], progress=False)
    healthy_ids = agree(archive)
    (seed_id,) = archive.docstore.ids_by_path()[str(SEED)]
    seed_chunks = archive.docstore.chunk_ids(seed_id)
    archive.vectors.delete(seed_chunks)
    orphan = stray_vector(archive)
    shutil.rmtree(archive.folder / "bm25")

    monkeypatch.setenv("ARCHIVE_CHAT_COLLECTION", archive.settings.collection)
    args = ["doctor", "--store", str(archive.folder)]
    args += ["--chroma-url", archive.settings.chroma_url] if archive.settings.chroma_url else []
    run = CliRunner().invoke
    found = run(main, [*args, "--json"])
    assert found.exit_code == 1, found.output
    before = json.loads(found.output)["before"]
    assert before["problems"] == {"orphan_vectors": 1, "missing_vectors": len(seed_chunks), "stale_vectors": 0,
                                  "chunks_without_article": 0, "articles_without_chunks": 0,
                                  "dangling_aliases": 0, "interrupted_writes": 0}
    assert before["examples"]["orphan_vectors"] == [orphan] and before["bm25"] == "missing"
    assert not json.loads(found.output)["healthy"]

    fixed = run(main, [*args, "--fix"])
    assert fixed.exit_code == 0, fixed.output
    assert f"fixed: re-embedded {len(seed_chunks)} docstore chunks" in fixed.output
    assert "dropped 1 vectors" in fixed.output and f"rebuilt BM25 over {len(healthy_ids)} chunks" in fixed.output
    assert fixed.output.rstrip().endswith("healthy")

    again = run(main, [*args, "--json"])
    assert again.exit_code == 0 and json.loads(again.output)["before"]["healthy"]
    assert agree(archive) == healthy_ids

    answer = Assistant(Archive(archive.settings, archive.embedder)).ask(HAMAS)
    assert not answer.refused and "Ahmed Abdel Hadi" in answer.answer
    assert answer.citations[0].article_id == seed_id


def test_fix_mends_the_docstore_itself_and_stale_vectors(tmp_path, embedder):
    archive = Archive(Settings(store=tmp_path / "store"), embedder)
    Ingestor(archive).run([short_news(tmp_path / "news.jsonl")], progress=False)
    healthy_ids = agree(archive)
    first, second, third, _ = sorted(i for ids in archive.docstore.ids_by_path().values() for i in ids)
    docstore = archive.docstore
    lost = {c: docstore.chunk(c)[4] for c in docstore.chunk_ids(first)}
    docstore.delete_chunks(lost)  # an article left without chunks (its vectors become orphans)
    stale = docstore.chunk_ids(second)[0]
    archive.vectors.vectors.add_texts(["Text this chunk never held."], [{"article_id": second}], ids=[stale])
    interrupted = docstore.chunk_ids(third)[0]
    docstore.mark_inflight([interrupted])  # a writer died after deleting this vector
    archive.vectors.delete([interrupted])
    with sqlite3.connect(archive.folder / "docstore.sqlite3") as db:  # foreign keys off, as a careless tool would
        db.execute("INSERT INTO chunks VALUES ('ghost:body:0', 'ghost', 'body', 0, 0, 5, 'ghost')")
        db.execute("INSERT INTO aliases VALUES ('dup', 'gone', 'elsewhere.jsonl')")

    report = check(archive)
    assert report.articles_without_chunks == [first]
    assert set(report.orphan_vectors) == set(lost)
    assert report.stale_vectors == [stale]
    assert report.interrupted_writes == [interrupted] and report.missing_vectors == [interrupted]
    assert report.chunks_without_article == ["ghost:body:0"] and report.dangling_aliases == ["dup"]
    assert report.bm25 == "out of date" and not report.healthy

    done = fix(archive, report)
    assert (done.rechunked_articles, done.dropped_chunks, done.dropped_aliases) == (1, 1, 1)
    assert done.reembedded == len(lost) + 2 and done.bm25_rebuilt == len(healthy_ids)
    assert check(archive).healthy
    assert agree(archive) == healthy_ids
    assert {c: docstore.chunk(c)[4] for c in docstore.chunk_ids(first)} == lost
    assert archive.vectors.vectors.get(ids=[stale])["documents"] == [docstore.chunk(stale)[4]]


def test_ingest_finishes_what_a_dead_writer_left_journaled(tmp_path, embedder):
    archive = Archive(Settings(store=tmp_path / "store"), embedder)
    Ingestor(archive).run([short_news(tmp_path / "news.jsonl")], progress=False)
    healthy_ids = agree(archive)
    kept = sorted(healthy_ids)[0]
    orphan = stray_vector(archive)
    archive.docstore.mark_inflight([kept, orphan])  # as a writer killed between Chroma and the docstore leaves it
    archive.vectors.delete([kept])
    archive.mark_lexical_stale()

    summary = Ingestor(archive).run([], progress=False)  # reads no file: only the journal can say what to mend
    assert summary.added == 0
    assert agree(archive) == healthy_ids
    assert archive.docstore.inflight() == [] and check(archive).healthy


def test_an_index_from_before_stemming_is_out_of_date_and_fix_rebuilds_it(tmp_path, embedder):
    archive = Archive(Settings(store=tmp_path / "store"), embedder)
    Ingestor(archive).run([short_news(tmp_path / "news.jsonl")], progress=False)
    (archive.folder / "bm25" / "tokenizer.json").unlink()
    report = check(archive)
    assert report.bm25 == "out of date" and not report.healthy
    fix(archive, report)
    assert check(archive).healthy and Archive(archive.settings, embedder).lexical.stemmer is not None
    empty = Archive(Settings(store=tmp_path / "empty"), embedder)  # an index of nothing has no stemmer to record
    empty.refresh_lexical(force=True)
    assert check(empty).bm25 == "ok"
