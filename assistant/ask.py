"""The assistant: question (+ conversation, filters) → retrieval chain → answer with checked citations."""

from __future__ import annotations

import threading
import time
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from langchain_core.runnables import RunnableLambda

from assistant.answer import Answerer, Draft, make_answerer
from assistant.cite import Citation
from assistant.followup import retrieval_query
from assistant.passage import Passage
from assistant.retrieve import HybridRetriever
from assistant.timeframe import timeframe
from vectorstore.filters import Filters
from vectorstore.settings import Settings
from vectorstore.store import Archive

TIMELINE_ARTICLES = 50


@dataclass
class Answer:
    question: str
    answer: str
    refused: bool
    citations: list[Citation]
    related: list[Citation] = field(default_factory=list)
    filters_applied: list[str] = field(default_factory=list)
    retrieval_query: str = ""
    invalid_markers: int = 0
    timings_ms: dict[str, float] = field(default_factory=dict)
    short_answer: str | None = None  # the phrase that answers, which the answer text opens with
    timeline: list[dict] = field(default_factory=list)

    def to_json(self) -> dict:
        """What `ask --json`, /ask, the export and feedback write: the citations flat (Citation.to_json)."""
        return {**asdict(self), "citations": [c.to_json() for c in self.citations],
                "related": [c.to_json() for c in self.related]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Answer:
        """An answer again from its JSON; keys that are no field of it (a feedback record's rating) are left out."""
        known = {f.name: data[f.name] for f in fields(cls) if f.name in data}
        return cls(**{**known, **{key: [Citation.from_json(c) for c in data.get(key, [])]
                                  for key in ("citations", "related")}})


def check_question(question: str, limit: int) -> str:
    """The question with control characters dropped; a clear ValueError when it cannot be asked."""
    if not isinstance(question, str):
        raise ValueError("the question must be text")
    question = "".join(ch for ch in question if ch in "\n\t" or unicodedata.category(ch)[0] != "C").strip()
    if not question:
        raise ValueError("the question is empty: type a question about the archive")
    if len(question) > limit:
        raise ValueError(f"the question is {len(question):,} characters; the limit is {limit:,}")
    return question


def timeline(ranked: list[Passage], cited: set[str], articles: int = TIMELINE_ARTICLES) -> list[dict]:
    """The leading retrieved articles with their dates, best first, the cited ones marked: when the archive
    covered the question."""
    seen: dict[str, dict] = {}
    for p in ranked:
        a = p.article
        if a.id not in seen and len(seen) < articles:
            seen[a.id] = {"article_id": a.id, "title": a.title, "source": a.source, "published": a.published,
                          "cited": a.id in cited}
    return list(seen.values())


class Assistant:
    def __init__(self, archive: Archive, answerer: Answerer | None = None) -> None:
        self.archive = archive
        self.settings = archive.settings
        self.answerer = answerer or make_answerer(self.settings.answerer, self.settings)
        self.retriever = HybridRetriever(archive=archive, k=self.settings.k,
                                         passage_chars=self.settings.passage_chars)
        self.chain = RunnableLambda(self._plan) | RunnableLambda(self._retrieve)

    def warm(self) -> threading.Thread:
        """Load what a first question would (the embedding model, the answerer's own models) in the background:
        a served app's first askers then do not all wait on it (8 askers on a fresh replica waited ~5 s each)."""

        def load() -> None:
            self.archive.embedder.embed_query("warm-up")
            if hasattr(self.answerer, "warm"):
                self.answerer.warm()

        thread = threading.Thread(target=load, daemon=True, name="warm-up")
        thread.start()
        return thread

    @classmethod
    def from_settings(cls, **overrides) -> Assistant:
        settings = Settings(**{k: v for k, v in overrides.items() if v is not None})
        if not Archive(settings).exists():
            raise FileNotFoundError(f"{settings.store}: no archive here (run `archive-chat ingest PATH` first)")
        return cls(Archive(settings))

    def ask(self, question: str, history: list[tuple[str, str]] | None = None,
            filters: Filters | dict | None = None, k: int | None = None) -> Answer:
        *_, answer = self.stream(question, history, filters, k)
        return answer

    def stream(self, question: str, history: list[tuple[str, str]] | None = None,
               filters: Filters | dict | None = None, k: int | None = None) -> Iterator[str | Answer]:
        """Answer text as it is produced, then the final Answer."""
        started = time.perf_counter()
        question = check_question(question, self.settings.max_question_chars)
        filters = filters if isinstance(filters, Filters) else Filters.parse(filters)
        plan = self.chain.invoke({"question": question, "history": history or [], "filters": filters,
                                  "k": k or self.settings.k})
        retrieved = time.perf_counter()
        draft: Draft | None = None
        for piece in self.answerer.stream(question, plan["passages"], plan["history"]):
            if isinstance(piece, Draft):
                draft = piece
            else:
                yield piece
        assert draft is not None
        cited = {(c.article.id, c.char_start) for c in draft.citations}
        related = [Citation.of(i + 1, p) for i, p in enumerate(plan["passages"])
                   if (p.article.id, p.char_start) not in cited]
        done = time.perf_counter()
        yield Answer(
            question, draft.text, draft.refused, draft.citations, related, list(plan["filters"].applied),
            plan["query"], draft.invalid_markers,
            {"retrieve": round((retrieved - started) * 1000, 1), "answer": round((done - retrieved) * 1000, 1),
             "total": round((done - started) * 1000, 1)},
            None if draft.refused else draft.short_answer,
            timeline(plan["ranked"], {c.article.id for c in draft.citations}),
        )

    def _plan(self, state: dict) -> dict:
        """Turn the conversation and the question's own dates into a retrieval query and filters."""
        filters: Filters = state["filters"]
        frame = timeframe(state["question"], filters.as_of)
        if frame:
            since, until, phrase = frame
            filters = filters.narrowed(since, until, f"{phrase!r}: {since or '…'} to {until or '…'}")
        return {**state, "filters": filters, "query": retrieval_query(state["question"], state["history"])}

    def _retrieve(self, state: dict) -> dict:
        passages, ranked = self.retriever.ranked(state["query"], state["filters"], state["k"])
        return {**state, "passages": passages, "ranked": ranked}
