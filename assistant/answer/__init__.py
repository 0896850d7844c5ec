"""Answerers: one interface, several backends (extractive by default; any LangChain chat model)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from assistant.cite import Citation
from assistant.terms import terms
from vectorstore.passage import Passage

NO_ANSWER = "The archive has no passage that answers this."
_OPENING = re.compile(r"^\s*(.{1,100}?)\s*(?:\[\d{1,3}\])+\s*[.:;,—–-]?(?:\s|$)")
_MAX_SHORT_WORDS = 8


@dataclass
class Draft:
    """What an answerer returns: the text with [n] markers, the citations they lead to, or a refusal; and the
    short answer the text opens with (None for a refusal, a question that wants an explanation, or a phrase the
    answerer is not confident of: that one is `short_answer_candidate`, with its `confidence`)."""

    text: str
    refused: bool
    citations: list[Citation] = field(default_factory=list)
    invalid_markers: int = 0
    short_answer: str | None = None
    confidence: float | None = None  # the probability that the short answer candidate is right
    short_answer_candidate: str | None = None  # the phrase found, shown as `short_answer` only when confident


def opening_short_answer(text: str, question: str = "") -> str | None:
    """The short answer an answer opens with ("Hasan Huballah [1]. The Hezbollah team…"): the few words before
    its first marker, unless they are a whole sentence, say nothing the question does not, or are a refusal."""
    match = _OPENING.match(text)
    if not match or NO_ANSWER.lower().rstrip(".") in text.lower():
        return None
    short = match.group(1).strip().rstrip(".,;:")
    words = terms(short)
    if not words or len(short.split()) > _MAX_SHORT_WORDS or (question and words <= terms(question)):
        return None
    from assistant.ner import tag  # spaCy, loaded only when an answer opens with a few words

    return None if any(t.pos_ in ("VERB", "AUX") for t in tag([short])[0]) else short


class Answerer(Protocol):
    name: str

    def answer(self, question: str, passages: list[Passage], history: list[tuple[str, str]]) -> Draft: ...

    def stream(
        self, question: str, passages: list[Passage], history: list[tuple[str, str]]
    ) -> Iterator[str | Draft]:
        """Text pieces as they are produced, then the final Draft."""
        ...


def make_answerer(kind: str, settings) -> Answerer:
    """`extractive`, `PROVIDER:MODEL` for a chat model (openai:NAME, ollama:NAME), or `local:smollm2|PATH`."""
    if kind in ("", "extractive"):
        from assistant.answer.extractive import ExtractiveAnswerer

        return ExtractiveAnswerer(settings.min_evidence)
    if kind.startswith("local:"):
        from assistant.answer.local import LocalAnswerer

        return LocalAnswerer.from_name(kind.removeprefix("local:"))
    from assistant.answer.llm import LLMAnswerer

    return LLMAnswerer.from_spec(kind, settings)
