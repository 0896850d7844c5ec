"""The store's contract, one suite run on each setup (the `archive` fixture: embedded, and a `chroma run` server),
the way Haystack runs one DocumentStore suite per backend: what retrieval, the UI, the CLI and eval rely on."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import MODES

from vectorstore.article import Article
from vectorstore.filters import Filters
from vectorstore.ingest import make_chunker

FERRY = Article("The Lisbon ferry crews struck on Friday over pay.\n\nEvery crossing stopped at noon.", "Ferry strike",
                "https://example.org/ferry", "Harbour Daily", "2024-03-01", ["Ana Reis"],
                comments="Good on them, the pay is awful.", path="ferry.md")
FROST = Article("A late frost in Kent destroyed most of the cherry blossom this spring.", "Orchard frost",
                "https://example.org/frost", "Garden Weekly", "2024-04-12", path="frost.md")


def put(archive, *articles: Article, old: dict | None = None) -> dict[str, dict]:
    chunker = make_chunker(archive)
    return archive.put([(a, chunker(a), b"") for a in articles], old or {})


@pytest.mark.parametrize("archive", MODES, indirect=True)
class TestStore:
    """The store's contract, on the embedded store and on a Chroma server."""

    def test_articles_round_trip_with_their_chunks_and_comments(self, archive):
        before = archive.version()
        records = put(archive, FERRY, FROST)
        assert archive.version() != before and set(records) == {FERRY.id, FROST.id}
        stored = archive.article(FERRY.id)
        assert (stored.text, stored.comments, stored.title, stored.source, stored.published, stored.authors) == (
            FERRY.text, FERRY.comments, "Ferry strike", "Harbour Daily", "2024-03-01", ["Ana Reis"])
        assert archive.article("no-such-id") is None
        ids = [cid for cid, _, _ in archive.read.chunk_rows()]
        rows = archive.passages(ids)
        assert {r.section for r in rows.values() if r.article.id == FERRY.id} == {"body", "comments"}
        for row in rows.values():
            text = archive.section_texts([(row.article.id, row.section)])[(row.article.id, row.section)]
            assert text[row.char_start : row.char_end] == row.text

    def test_browse_and_stats_follow_writes(self, archive):
        put(archive, FERRY, FROST)
        stats = archive.stats()
        assert (stats["articles"], stats["first_published"], stats["last_published"]) == (2, "2024-03-01", "2024-04-12")
        assert stats["by_month"] == {"2024-03": 1, "2024-04": 1}
        assert stats["by_source"] == {"Garden Weekly": 1, "Harbour Daily": 1}
        assert [a["id"] for a in archive.articles()] == [FROST.id, FERRY.id]  # newest first
        assert [a["title"] for a in archive.articles("ferry")] == ["Ferry strike"]
        assert [a["title"] for a in archive.articles(sources=["Garden Weekly"])] == ["Orchard frost"]
        assert [a["title"] for a in archive.articles(since="2024-04-01", until="2024-04-30")] == ["Orchard frost"]
        archive.delete_articles([FROST.id])
        assert [a["title"] for a in archive.articles()] == ["Ferry strike"] and archive.stats()["articles"] == 1

    def test_a_new_version_replaces_the_old_whole(self, archive):
        records = put(archive, FERRY)
        old_ids = {cid for cid, _, _ in archive.read.chunk_rows()}
        changed = Article("The ferry strike ended on Monday with a pay rise.", FERRY.title, FERRY.url, FERRY.source,
                          "2024-03-04", path="ferry.md")
        put(archive, changed, old=records)
        new_ids = {cid for cid, _, _ in archive.read.chunk_rows()}
        assert not new_ids & old_ids  # keyed by content: a new version has new chunk ids, the old ones are gone
        assert archive.article(FERRY.id).text == changed.text and archive.article(FERRY.id).comments == ""
        passages = archive.passages(sorted(new_ids))
        assert passages and all("pay rise" in r.text for r in passages.values())

    def test_chunks_of_no_committed_article_are_never_read(self, archive):
        chunker = make_chunker(archive)
        chunks = chunker(FROST)
        archive.parts.chunks.upsert(ids=[c.id for c in chunks], embeddings=archive.embedder.embed_documents(
            [c.text for c in chunks]), documents=[c.text for c in chunks],
            metadatas=[{"article_id": FROST.id, "section": c.section, "index": c.index, "char_start": c.char_start,
                        "char_end": c.char_end, "title": "", "url": "", "source": "", "published": "", "day": 0,
                        "version": FROST.content_hash} for c in chunks])
        assert archive.passages([c.id for c in chunks]) == {}

    def test_delete_removes_an_article_everywhere(self, archive):
        put(archive, FERRY, FROST)
        duplicate = Article(FERRY.text, FERRY.title, "https://wire.example/ferry", "Wire")
        assert archive.add_alias(FERRY.id, duplicate) and not archive.add_alias(FERRY.id, duplicate)
        assert archive.article(FERRY.id).sources == ["Harbour Daily", "Wire"] and archive.aliases() == {
            duplicate.id: FERRY.id}
        removed = archive.delete_articles([FERRY.id])
        assert removed and archive.article(FERRY.id) is None and archive.aliases() == {}
        assert archive.parts.comments.get(ids=[FERRY.id])["ids"] == []
        assert {cid for cid, _, _ in archive.read.chunk_rows()}.isdisjoint(removed)
        assert archive.bm25_search("Lisbon ferry crews", 5) == [] and archive.bm25_search("cherry blossom frost", 5)

    def test_dense_and_lexical_search_honour_filters(self, archive):
        put(archive, FERRY, FROST)
        archive.refresh_bm25(wait=True)
        vector = archive.embedder.embed_query("What happened to the fruit trees?")
        assert archive.dense_search(vector, 1)[0][0].startswith(FROST.id)
        march = Filters(until=date(2024, 3, 31))
        assert {cid.split(":")[0] for cid, _ in archive.dense_search(vector, 5, march)} == {FERRY.id}
        assert archive.bm25_search("cherry blossom", 5, Filters(sources=("Harbour Daily",))) == []
        assert archive.bm25_search("cherry blossom", 5, Filters(sources=("Garden Weekly",)))
        comments = {cid for cid, _ in archive.bm25_search("pay awful", 5, Filters(include_comments=True))}
        assert comments and not {cid for cid, _ in archive.bm25_search("pay awful", 5)} & {c for c in comments
                                                                                        if ":comments:" in c}
        assert archive.exists()

    def test_while_bm25_is_current_a_question_reads_chroma_only_for_its_version(self, archive, monkeypatch):
        put(archive, FERRY, FROST)
        archive.refresh_bm25(wait=True)
        ids = [cid for cid, _, _ in archive.read.chunk_rows()]
        keys = {(cid.split(":")[0], cid.split(":")[1]) for cid in ids}
        from_chroma = archive.passages(ids), archive.section_texts(keys)  # before any question: read from Chroma
        reads: list[str] = []
        for name in ("chunks", "articles", "comments"):
            part = getattr(archive.parts, name)
            monkeypatch.setattr(part, "get", lambda *a, _get=part.get, _name=name, **kw: reads.append(_name) or _get(
                *a, **kw))
        assert archive.bm25_index().token == archive.version()  # what a question does first: read the version
        assert (archive.passages(ids), archive.section_texts(keys)) == from_chroma and reads == []
        changed = Article("The ferry strike ended on Monday with a pay rise.", FERRY.title, FERRY.url, FERRY.source,
                          "2024-03-04", path="ferry.md")
        new = put(archive, changed, old={FERRY.id: archive.parts.articles.get(ids=[FERRY.id])["metadatas"][0]})
        reads.clear()
        archive.cache.seen_version = archive.version()  # BM25 is behind now: a replica answering before its rebuild
        fresh = [cid for cid, _, _ in archive.read.chunk_rows() if cid.startswith(FERRY.id)]
        assert new and all("pay rise" in r.text for r in archive.passages(fresh).values()) and "chunks" in reads
        assert archive.section_texts([(FERRY.id, "body")])[(FERRY.id, "body")] == changed.text
