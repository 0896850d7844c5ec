"""The assistant: question (+ conversation, filters) → retrieval chain → answer with checked citations."""

from __future__ import annotations

import threading
import time
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from assistant.answer import Answerer, Draft, make_answerer
from assistant.answer.dated import Entry, chronology_sentences, compose, dated_passages, entries_of, event_sentences
from assistant.cite import Citation
from assistant.plan import QuestionPlan, plan
from assistant.retrieve import HybridRetriever
from assistant.settings import Settings, whole
from vectorstore.errors import NoArchive
from vectorstore.filters import Filters
from vectorstore.passage import Passage
from vectorstore.store import Archive, Store

COVERING_ARTICLES = 50
_DATED = ("chronology", "event")  # kinds answered by dated entries, not by one phrase
_DATED_FETCH = 100  # candidates from each search for a dated answer (a phrase's answer needs 40)


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
    short_answer: str | None = None  # the phrase that answers, shown bold, only when confidently right
    timeline: list[dict] = field(default_factory=list)
    kind: str = "fact"  # fact, event, chronology or explanation (assistant/plan.py)
    entries: list[dict] = field(default_factory=list)  # dated developments: {"date", "text", "citations"}
    confidence: float | None = None  # the probability that the short answer (candidate) is right
    short_answer_candidate: str | None = None  # the phrase found, shown or not

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


@dataclass
class Retrieved:
    """What retrieval found for a plan: the k passages an answer draws on, and every candidate in fused order
    (what dated answers and the coverage chart look across)."""

    passages: list[Passage]
    ranked: list[Passage]


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


def covering_articles(plan: QuestionPlan, ranked: list[Passage], cited: set[str],
             articles: int = COVERING_ARTICLES) -> list[dict]:
    """The retrieved articles about the question's subject with their dates, best first, the cited ones marked:
    when the archive covered it. Empty when fewer than two are: one bar charts nothing."""
    seen: dict[str, dict] = {}
    for p in ranked:
        a = p.article
        if a.id not in seen and len(seen) < articles and plan.about(f"{a.title}\n{p.text}"):
            seen[a.id] = {"article_id": a.id, "title": a.title, "source": a.source, "published": a.published,
                          "cited": a.id in cited}
    return list(seen.values()) if len(seen) >= 2 else []


class Assistant:
    def __init__(self, archive: Store, answerer: Answerer | None = None) -> None:
        self.archive = archive
        self.settings = whole(archive.settings)
        self.answerer = answerer or make_answerer(self.settings.answerer, self.settings)
        self.retriever = HybridRetriever(archive=archive, k=self.settings.k,
                                         passage_chars=self.settings.passage_chars)

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
            raise NoArchive(f"{settings.store}: no archive here (run `archive-chat ingest PATH` first)")
        return cls(Archive(settings))

    def ask(self, question: str, history: list[tuple[str, str]] | None = None,
            filters: Filters | dict | None = None, k: int | None = None) -> Answer:
        *_, answer = self.stream(question, history, filters, k)
        return answer

    def stream(self, question: str, history: list[tuple[str, str]] | None = None,
               filters: Filters | dict | None = None, k: int | None = None) -> Iterator[str | Answer]:
        """Answer text as it is produced, then the final Answer: plan → retrieve → draft → answer."""
        started = time.perf_counter()
        question = check_question(question, self.settings.max_question_chars)
        filters = filters if isinstance(filters, Filters) else Filters.parse(filters)
        planned = self.plan(question, history or [], filters, k or self.settings.k)
        found = self.retrieve(planned)
        retrieved = time.perf_counter()
        draft: Draft | None = None
        for piece in self._draft(planned, found, history or []):
            if isinstance(piece, Draft):
                draft = piece
            else:
                yield piece
        assert draft is not None
        entries = entries_of(draft.text) if planned.kind in _DATED and not draft.refused else []
        yield self._answer(planned, found, draft, entries, started, retrieved)

    def _draft(self, planned: QuestionPlan, found: Retrieved, history: list[tuple[str, str]]) -> Iterator[str | Draft]:
        """The answerer's text as it comes, then its Draft. A dated kind is drafted from the sentences picked
        across the archive's dates: as entries offline, or as those sentences' passages, in date order, for a
        chat model told to write the dated list."""
        if planned.kind not in _DATED:
            yield from self.answerer.stream(planned.question, found.passages, history)
            return
        pick = chronology_sentences if planned.kind == "chronology" else event_sentences
        picked = pick(planned, found.ranked, planned.filters.as_of)
        if self.answerer.name == "extractive":
            draft = compose(picked)
            yield draft.text
            yield draft
            return
        passages = dated_passages(picked) or found.passages
        yield from self.answerer.stream(planned.question, passages, history, planned.kind)

    def _answer(self, planned: QuestionPlan, found: Retrieved, draft: Draft, entries: list[Entry],
                started: float, retrieved: float) -> Answer:
        """The Answer record: related reading is what was retrieved and not cited."""
        cited = {(c.article.id, c.char_start) for c in draft.citations}
        related = [Citation.of(i + 1, p) for i, p in enumerate(found.passages)
                   if (p.article.id, p.char_start) not in cited]
        done = time.perf_counter()
        short = None if draft.refused or planned.kind != "fact" else draft.short_answer
        return Answer(
            planned.question, draft.text, draft.refused, draft.citations, related, list(planned.filters.applied),
            planned.query, draft.invalid_markers,
            {"retrieve": round((retrieved - started) * 1000, 1), "answer": round((done - retrieved) * 1000, 1),
             "total": round((done - started) * 1000, 1)},
            short, covering_articles(planned, found.ranked, {c.article.id for c in draft.citations}),
            planned.kind, [e.to_json() for e in entries], draft.confidence,
            draft.short_answer_candidate or draft.short_answer,
        )

    def plan(self, question: str, history: list[tuple[str, str]], filters: Filters, k: int) -> QuestionPlan:
        """The question read: its kind, its dates as filters, the retrieval query the conversation shapes."""
        return plan(question, history, filters, k)

    def retrieve(self, planned: QuestionPlan) -> Retrieved:
        """The plan's passages and every candidate found."""
        if planned.kind not in _DATED:
            return Retrieved(*self.retriever.ranked(planned.query, planned.filters, planned.k))
        # Across the archive's dates: the subject alone (the words that frame the question match nothing about
        # it), and more candidates than a phrase needs, since every period should find its articles.
        return Retrieved(*self.retriever.ranked(planned.topic or planned.query, planned.filters, planned.k,
                                                _DATED_FETCH))
