"""Answerers: one interface, several backends (extractive by default; any LangChain chat model)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from assistant.cite import Citation
from assistant.passage import Passage

NO_ANSWER = "The archive has no passage that answers this."


@dataclass
class Draft:
    """What an answerer returns: the text with [n] markers, the citations they lead to, or a refusal; and the
    short answer the text opens with (None for a refusal or a question that wants an explanation)."""

    text: str
    refused: bool
    citations: list[Citation] = field(default_factory=list)
    invalid_markers: int = 0
    short_answer: str | None = None


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
