"""Dense search under a filter, decided by the BM25 index's filter columns instead of Chroma's `where`.

Chroma evaluates `where` against its metadata for every chunk that matches before it searches: about 100 ms of
CPU for "body text only" over 20k chunks, 0.9 s over 200k. The BM25 index holds the same columns (date, section,
source, article) as arrays, so the filter is one mask there. Then, whichever costs less: Chroma returns more
neighbours than needed and the allowed ones are kept (when most chunks pass), or the allowed rows' int8 vector
copies in the index are scanned and Chroma scores the best few exactly among their ids (when few pass: a week of
news at 1M chunks, 5.5 ms for the scan where searching among all the allowed ids cost Chroma 34 ms). Without a
BM25 index (a replica that has not built its own yet), neighbours are over-fetched with their metadata and the
filter is applied to those; at a million chunks, Chroma's `where` for "body text only" alone takes tens of
seconds. Chunks written since BM25's last rebuild are searched by when they were written, the filter applied to
their metadata likewise.
"""

from __future__ import annotations

import math

import chromadb
import numpy as np
from chromadb.errors import InternalError

from vectorstore.bm25 import Bm25Index
from vectorstore.chroma import present, query
from vectorstore.filters import Filters

_OVERFETCH = 4  # neighbours asked per allowed one needed (recall@40 against exact search 0.98, as with `where`)
_NEIGHBOUR_COST = 23  # one more neighbour costs Chroma what scanning 23 more int8 rows here does (4.6 vs 0.2 µs)
_SHORTLIST = 4  # rows taken from the int8 scan per chunk wanted, for Chroma to score exactly
_UNINDEXED_REACH = 1000  # most neighbours read with metadata when no index decides the filter; then Chroma's `where`


def nearest(chunks: chromadb.Collection, vector: list[float], k: int, where: dict | None = None,
            among: list[str] | None = None) -> list[tuple[str, float]]:
    """The k nearest chunk ids with their cosine similarity, only among the ids `among` when given. Ids and
    distances only: reading text and metadata back costs more than the search, and only the winners need it."""
    if among is not None and not among:
        return []
    return [(cid, 1.0 - distance) for cid, distance in query(chunks, vector, k, ["distances"], where, among)]


def _nearest_admitted(chunks: chromadb.Collection, vector: list[float], k: int, filters: Filters,
                      where: dict | None = None) -> tuple[list[tuple[str, float]], bool]:
    """The k nearest chunks (within `where`) whose metadata `filters` admits, from `asked` neighbours read with
    their metadata, asking four times more until k are found or `_UNINDEXED_REACH`; and whether every neighbour
    was looked at (then fewer than k exist)."""
    asked = min(_OVERFETCH * k, _UNINDEXED_REACH)
    while True:
        hits = chunks.query(query_embeddings=[vector], n_results=asked, where=where, include=["distances", "metadatas"])
        ids = hits["ids"][0]
        rows = present(ids, [hits["distances"][0], hits["metadatas"][0]])
        found = [(cid, 1.0 - d) for cid, d, m in rows if filters.admits(m)]
        complete = len(ids) < asked and len(rows) == len(ids)  # a vanished neighbour: the store moved, look again
        if len(found) >= k or complete or asked >= _UNINDEXED_REACH:
            return found[:k], complete
        asked = min(asked * 4, _UNINDEXED_REACH)


def nearest_allowed(chunks: chromadb.Collection, index: Bm25Index, vector: list[float], k: int,
                    filters: Filters, written_since: float | None = None) -> list[tuple[str, float]]:
    """The k nearest (chunk id, cosine similarity) among the chunks `filters` allows. `written_since`: when BM25
    is behind the store, chunks written since it was built are searched too (selected by when they were
    written, few, so cheap), so dense search sees new articles at once."""
    mask = index.mask(filters)
    if mask is not None and not len(index.rows):  # no index to decide the filter with
        found, complete = _nearest_admitted(chunks, vector, k, filters)
        return found if len(found) >= k or complete else nearest(chunks, vector, k, where=filters.where())
    found = _nearest_indexed(chunks, index, vector, k, mask, filters.where())
    if mask is None or written_since is None:
        return found
    fresh, _ = _nearest_admitted(chunks, vector, k, filters, where={"written": {"$gte": written_since}})
    return sorted(dict(found + fresh).items(), key=lambda hit: -hit[1])[:k]


def _nearest_indexed(chunks: chromadb.Collection, index: Bm25Index, vector: list[float], k: int,
                     mask: np.ndarray | None, where: dict | None) -> list[tuple[str, float]]:
    if mask is None:
        return nearest(chunks, vector, k)
    allowed = index.allowed(mask)
    kept = int(allowed.sum())
    if not kept:
        return []
    asked = math.ceil(_OVERFETCH * k * index.live_count / kept)
    if asked * _NEIGHBOUR_COST <= kept:  # over-fetching is the cheaper way
        hits = nearest(chunks, vector, asked)
        found = index.admitted(hits, allowed)
        if len(found) >= k or len(hits) < asked:  # enough, or every vector was looked at
            return found[:k]
    try:
        return nearest(chunks, vector, k, among=index.shortlist(vector, allowed, _SHORTLIST * k))
    except InternalError:  # a chunk the index allows has no vector (a write `doctor` would report): Chroma filters
        return nearest(chunks, vector, k, where=where)
