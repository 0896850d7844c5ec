"""A record deleted between Chroma's two reads (the ids from its index, then the fields from its record store), as a
re-ingest deletes the chunks of the version it replaces while a question is read: absent, never an error, and
never two versions of one article in one read. The interleaving is forced, not raced for: a collection double
makes each read in two real steps, and rewrites the article between them once."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from conftest import fresh_archive

from vectorstore.article import Article, Chunk
from vectorstore.bm25 import Bm25Index
from vectorstore.doctor import check
from vectorstore.filters import Filters
from vectorstore.store import Archive

URL = "https://example.org/varnholm-lighthouse"
CHUNKS = 4


class TwoStepReads:
    """A Chroma collection whose `get` and `query` read the ids first and the fields after, as Chroma does, with
    `between` run once, in the gap of the first read of metadata. A record gone by the second step comes back with
    None fields, as from Chroma."""

    def __init__(self, collection, between: Callable[[], None]) -> None:
        self._collection, self._between, self.gaps = collection, between, 0

    def __getattr__(self, name: str):
        return getattr(self._collection, name)

    def _gap(self, include) -> None:
        if not self.gaps and "metadatas" in include:
            self.gaps += 1
            self._between()

    def _fields(self, ids: list[str], include: list[str]) -> dict[str, list]:
        fields = [name for name in include if name != "distances"]
        got = self._collection.get(ids=ids, include=fields) if fields and ids else {"ids": []}
        found = {cid: [got[name][n] for name in fields] for n, cid in enumerate(got["ids"])}
        return {name: [found[cid][j] if cid in found else None for cid in ids] for j, name in enumerate(fields)}

    def query(self, query_embeddings, n_results, include, where=None, ids=None, **_):
        hits = self._collection.query(query_embeddings=query_embeddings, n_results=n_results, where=where, ids=ids,
                                      include=["distances"])
        self._gap(include)
        ids = hits["ids"][0]
        return {"ids": [ids], "distances": hits["distances"],
                **{name: [column] for name, column in self._fields(ids, include).items()}}

    def get(self, ids=None, include=(), where=None, limit=None, offset=None, **_):
        ids = self._collection.get(ids=ids, where=where, limit=limit, offset=offset, include=[])["ids"]
        self._gap(include)
        return {"ids": ids, **self._fields(ids, list(include))}


def version(colour: str) -> tuple[Article, list[Chunk], bytes]:
    article = Article(text=f"{colour} light " * 100, title="log", url=URL)
    return article, [Chunk(article.id, "body", i, 100 * i, 100 * i + 99, f"{colour} beam {i}", article.content_hash)
                     for i in range(CHUNKS)], b""


@pytest.fixture
def rewritten(tmp_path, embedder) -> tuple[Archive, Callable[[], TwoStepReads]]:
    """An archive holding the amber version, and a way to have its chunk reads rewrite it to violet mid-read."""
    reader = fresh_archive(tmp_path, embedder)
    writer = Archive(reader.settings, embedder)
    old = writer.put([version("amber")], {})

    def hook() -> TwoStepReads:
        double = TwoStepReads(reader.parts.chunks, lambda: writer.put([version("violet")], old))
        reader.parts.chunks = double
        return double

    return reader, hook


def colours(rows) -> set[str]:
    return {text.split(" ")[0] for text in rows}


def test_dense_search_under_a_filter_skips_chunks_deleted_mid_query(rewritten, embedder):
    archive, hook = rewritten
    archive.refresh_bm25(force=True)  # the amber index, whose filter columns decide nothing once rows vanish
    empty = Bm25Index(archive.folder / "none")  # no index: neighbours are read with their metadata
    double = hook()
    found = archive.dense_search(embedder.embed_query("beam light"), CHUNKS, Filters(), index=empty)
    assert double.gaps == 1  # the article was rewritten between the ids and their metadata
    rows = archive.passages([cid for cid, _ in found])
    assert len(rows) == CHUNKS and colours(r.text for r in rows.values()) == {"violet"}


def test_passages_read_while_their_version_is_replaced_are_absent(rewritten, embedder):
    archive, hook = rewritten
    empty = Bm25Index(archive.folder / "none")  # no BM25 copy to read the passages from: Chroma is read
    amber = [cid for cid, _ in archive.dense_search(embedder.embed_query("beam light"), CHUNKS, Filters(), index=empty)]
    assert len(amber) == CHUNKS
    double = hook()
    assert archive.passages(amber) == {}  # replaced, so not read: neither an error nor half an article
    assert double.gaps == 1


def test_bm25_rebuild_indexes_one_version_when_chunks_vanish_mid_walk(rewritten):
    archive, hook = rewritten
    double = hook()
    index = archive.build_bm25("during a rewrite")
    assert double.gaps == 1
    # The amber record was read before the rewrite and its chunks after it: they are gone, so none is indexed, and
    # the rebuild finishes (the next one, for the new version token, indexes violet).
    assert index.ids == []
    archive.parts.chunks = double._collection
    assert colours(archive.build_bm25("after").passage(cid).text for cid in archive.bm25_index().ids) == {"violet"}


def test_doctor_reads_past_a_stray_chunk_deleted_mid_check(tmp_path, embedder):
    archive = fresh_archive(tmp_path, embedder)
    article, chunks, _ = version("amber")
    archive.put([(article, chunks, b"")], {})
    stray = Chunk(article.id, "body", 9, 0, 9, "amber stray", "uncommitted")  # an ingest that died before its commit
    archive.parts.chunks.upsert(ids=[stray.id], embeddings=archive.embedder.embed_documents([stray.text]),
                                documents=[stray.text], metadatas=[{"article_id": article.id, "section": "body"}])
    archive.refresh_bm25(force=True, wait=True)
    chunks_collection = archive.parts.chunks
    archive.parts.chunks = TwoStepReads(chunks_collection, lambda: chunks_collection.delete(ids=[stray.id]))
    report = check(archive, grace=0)  # another doctor --fix drops the stray between the ids and their metadata
    assert archive.parts.chunks.gaps == 1
    assert report.articles == 1 and report.uncommitted_chunks == []
