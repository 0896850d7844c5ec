"""Hybrid retrieval as a LangChain retriever: dense (Chroma) + BM25, fused by reciprocal rank, kept diverse.

The fused rank is then nudged by time (closeness to the question's as-of date) and by how much of the question's
names and numbers a passage holds: both were measured on realtimeqa-2022q4 (bench/quality.py).
"""

from __future__ import annotations

from datetime import date

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, SkipValidation

from assistant.settings import default
from assistant.terms import coverage, terms, weights
from assistant.window import merged, widen
from vectorstore.dates import day_of
from vectorstore.filters import Filters
from vectorstore.passage import Passage
from vectorstore.store import Store

_RRF_K = 20
_PER_ARTICLE = 2
_COVERAGE = 0.1  # weight of the question's terms found in a passage, next to the fused rank (top = 1.0)
_NUDGED = 4  # passages per wanted one that get the coverage nudge
_RECENCY_DAYS = 30.0  # how fast the preference for news near the as-of date fades (realtimeqa-2022q4)


def _recency(published: str | None, as_of: date | None) -> float:
    """Prefer what was news around the as-of date; a follow-up story a few days later often tells it best."""
    if not as_of or not published:
        return 1.0
    day = day_of(published)
    if day is None:
        return 1.0
    distance = abs((as_of - day).days)
    return 1.0 + 1.0 / (1.0 + distance / _RECENCY_DAYS)


class HybridRetriever(BaseRetriever):
    """Top-k passages for a query under Filters (passed as `invoke(query, filters=..., k=...)`)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    archive: SkipValidation[Store]  # a Protocol: checked by type checkers, not at run time
    k: int = default("k")
    fetch: int = 40
    passage_chars: int = default("passage_chars")

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, filters: Filters | None = None,
        k: int | None = None,
    ) -> list[Document]:
        return [Document(page_content=p.text, metadata=p.to_json()) for p in self.passages(query, filters, k)]

    def passages(self, query: str, filters: Filters | None = None, k: int | None = None) -> list[Passage]:
        return self.ranked(query, filters, k)[0]

    def ranked(self, query: str, filters: Filters | None = None, k: int | None = None,
               fetch: int | None = None) -> tuple[list[Passage], list[Passage]]:
        """The k passages handed on, and every candidate chunk in fused order (what the archive-over-time chart
        shows: when the archive covered the question); `fetch` candidates from each search."""
        filters = filters or Filters()
        k = k or self.k
        fetch = fetch or self.fetch
        index = self.archive.bm25_index()  # once a question: it reads the store's version
        dense = dict(self.archive.dense_search(self.archive.embedder.embed_query(query), fetch, filters, index))
        bm25 = dict(self.archive.bm25_search(query, fetch, filters, index))
        fused: dict[str, float] = {}
        for ranking in (dense, bm25):
            for rank, cid in enumerate(ranking):
                fused[cid] = fused.get(cid, 0.0) + 1.0 / (_RRF_K + rank)
        found = self.archive.passages(list(fused))
        candidates = []
        top = max(fused.values(), default=1.0)
        for cid, score in fused.items():
            passage = found.get(cid)
            if passage is None:  # found, but of no committed article: an ingest or a delete in flight
                continue
            passage.dense, passage.bm25 = dense.get(cid, 0.0), bm25.get(cid, 0.0)
            passage.score = score / top * _recency(passage.article.published, filters.as_of)
            candidates.append(passage)
        candidates.sort(key=lambda p: -p.score)
        question = weights(query)
        for passage in candidates[: _NUDGED * k]:  # only leaders can reach the top k; 0.1 ms of CPU a passage
            passage.score += _COVERAGE * coverage(question, terms(passage.text))
        candidates.sort(key=lambda p: -p.score)
        return self._handed_on(candidates, k), candidates

    def _handed_on(self, ranked: list[Passage], k: int) -> list[Passage]:
        """At most two chunks of one article (room for other evidence), each widened to whole sentences; windows
        that meet become one passage. Chunks never overlap, so two neighbours of one article are distinct text."""
        taken: dict[str, int] = {}
        eligible: list[Passage] = []
        for passage in ranked:
            if taken.get(passage.article.id, 0) < _PER_ARTICLE:
                taken[passage.article.id] = taken.get(passage.article.id, 0) + 1
                eligible.append(passage)
        texts: dict[tuple[str, str], str] = {}
        chosen: list[Passage] = []
        for i, passage in enumerate(eligible):
            key = (passage.article.id, passage.section)
            if key not in texts:  # one read for the articles the next 2k passages come from
                texts.update(self.archive.section_texts((p.article.id, p.section) for p in eligible[i : i + 2 * k]))
            passage = widen(passage, texts[key], self.passage_chars)
            for i, held in enumerate(chosen):
                if (one := merged(held, passage, texts[key])) is not None:
                    chosen[i] = one
                    break
            else:
                chosen.append(passage)
            if len(chosen) == k:
                break
        return chosen
