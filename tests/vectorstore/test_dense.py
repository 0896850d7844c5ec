"""Filtered dense search without Chroma's `where`: the same nearest chunks on both of its paths (over-fetching
Chroma's neighbours; scanning the BM25 index's int8 vector copies, then Chroma scoring the shortlist)."""

from __future__ import annotations

from datetime import date

import numpy as np

import vectorstore.dense
from vectorstore.bm25 import Bm25Index
from vectorstore.dense import nearest_allowed
from vectorstore.filters import Filters
from vectorstore.ingest import Ingestor
from vectorstore.vectors import Vectors, VectorWriter

QUERY = "What did the president say about the economy?"
STORIES = [  # (date, source, text): short, so the test embeds little
    ("2022-10-01", "Daily", "The president said inflation would ease by spring, and the economy would grow."),
    ("2022-10-02", "Herald", "Farmers in Iowa harvested a record corn crop after a wet summer."),
    ("2022-10-03", "Daily", "The central bank raised interest rates for the fifth time this year."),
    ("2022-10-04", "Herald", "A new bridge over the river opened to traffic on Tuesday."),
    ("2022-10-05", "Daily", "Unemployment fell to 3.5 percent, the labour ministry reported."),
    ("2022-10-06", "Herald", "The president met union leaders to discuss wages and prices."),
    ("2022-10-07", "Daily", "A storm closed schools along the coast for two days."),
    ("2022-10-08", "Herald", "Economists expect the budget deficit to narrow next year."),
]


def exact(archive, vector: list[float], k: int, where: dict | None) -> list[str]:
    """The k nearest chunks under `where` by brute force over the vectors Chroma holds."""
    got = archive.parts.chunks.get(where=where, include=["embeddings"])
    if not got["ids"]:
        return []
    similarity = np.asarray(got["embeddings"]) @ np.asarray(vector)
    return [got["ids"][i] for i in np.argsort(-similarity)[:k]]


def test_filtered_nearest_matches_exact_search(archive, tmp_path, monkeypatch):
    for i, (day, source, text) in enumerate(STORIES):
        (tmp_path / f"{i}.md").write_text(f"---\ndate: {day}\nsource: {source}\n---\n# Story {i}\n\n{text}\n")
    Ingestor(archive).run([tmp_path / f"{i}.md" for i in range(len(STORIES))], progress=False)
    vector, index = archive.embedder.embed_query(QUERY), archive.bm25_index()
    since = Filters(since=date(2022, 10, 4))
    assert 0 < since.mask(index.columns).sum() < len(index.rows)
    for cost in (0, 10**9):  # always over-fetch and keep the allowed; always search among the allowed ids
        monkeypatch.setattr(vectorstore.dense, "_NEIGHBOUR_COST", cost)
        for filters in (Filters(), since, Filters(sources=("Daily",)), Filters(sources=("no such source",))):
            for k in (1, 3, 20):
                got = nearest_allowed(archive.parts.chunks, index, vector, k, filters)
                assert [cid for cid, _ in got] == exact(archive, vector, k, filters.where()), (cost, filters, k)

    missing = index.rows[0]  # a chunk BM25 allows but Chroma lost: the id list fails, Chroma filters itself
    archive.write.delete_chunks([missing])
    got = nearest_allowed(archive.parts.chunks, index, vector, 5, since)
    assert [cid for cid, _ in got] == exact(archive, vector, 5, since.where()) and missing not in dict(got)


def test_without_an_index_the_filter_is_applied_to_neighbours_read_with_their_metadata(archive, tmp_path,
                                                                                       monkeypatch):
    """A replica that has not built BM25 yet: the same nearest chunks, found without Chroma's `where` while
    enough neighbours pass, with it when too few do."""
    for i, (day, source, text) in enumerate(STORIES):
        (tmp_path / f"{i}.md").write_text(f"---\ndate: {day}\nsource: {source}\n---\n# Story {i}\n\n{text}\n")
    Ingestor(archive).run([tmp_path / f"{i}.md" for i in range(len(STORIES))], progress=False)
    vector, empty = archive.embedder.embed_query(QUERY), Bm25Index(tmp_path / "no index")
    wheres = []
    real = vectorstore.dense.nearest
    monkeypatch.setattr(vectorstore.dense, "nearest", lambda *a, **kw: wheres.append(kw.get("where")) or real(*a, **kw))
    for reach in (1000, 2):  # enough neighbours read; fewer than the 3 asked (then Chroma filters)
        monkeypatch.setattr(vectorstore.dense, "_UNINDEXED_REACH", reach)
        for filters in (Filters(since=date(2022, 10, 4)), Filters(sources=("Daily",)),
                        Filters(until=date(2022, 10, 2))):
            got = nearest_allowed(archive.parts.chunks, empty, vector, 3, filters)
            assert [cid for cid, _ in got] == exact(archive, vector, 3, filters.where()), (reach, filters)
        assert bool(wheres) == (reach == 2)
        wheres.clear()


def test_the_int8_copy_shortlists_what_exact_search_ranks_first(tmp_path):
    """The scan's shortlist (4 per chunk wanted) holds the exact nearest, and its rows are the ones asked among."""
    rng = np.random.default_rng(7)
    vectors = rng.standard_normal((3000, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    writer = VectorWriter(tmp_path / "vectors.i8")
    for start in range(0, len(vectors), 700):  # written as an index rebuild writes them: an article at a time
        writer.add(vectors[start : start + 700])
    writer.close()
    copy = Vectors(tmp_path / "vectors.i8")
    assert copy.rows.shape == (3000, 384)
    among = np.flatnonzero(rng.random(3000) < 0.4)
    for _ in range(5):
        query = vectors[rng.integers(3000)] + 0.5 * rng.standard_normal(384).astype(np.float32)
        exact_top = among[np.argsort(-(vectors[among] @ query))[:10]]
        shortlist = copy.nearest(query.tolist(), among, 40)
        assert len(shortlist) == 40 and set(shortlist) <= set(among)
        assert set(exact_top) <= set(shortlist)
