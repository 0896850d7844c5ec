"""Eval question lines, validated: a line that cannot be used is one `PATH:LINE: reason` and the file goes on."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from assistant.cite import uncited

FILTER_KEYS = ("since", "until", "source", "date", "as_of")  # not "sources": those are gold labels


@dataclass
class Question:
    id: str
    question: str
    answers: list[str]
    sources: list[str] = field(default_factory=list)
    filters: dict[str, Any] = field(default_factory=dict)
    kind: str | None = None  # the kind of answer the line expects (assistant/plan.py), when it says


class QuestionLine(BaseModel):
    """One line: an eval question ({id, question, answers, sources, filters…}) or a chat-UI feedback line
    ({question, answer, citations, rating}) whose thumbs-up answer becomes the reference."""

    model_config = ConfigDict(extra="ignore", strict=True)

    id: str | int | None = None
    question: str
    answers: list[str] | None = None
    answer: str | None = None
    rating: str = "up"
    sources: list[str] | str | None = None
    since: str | None = None
    until: str | None = None
    source: str | list[str] | None = None
    date: str | None = None
    as_of: str | None = None
    kind: Literal["fact", "event", "chronology", "explanation"] | None = None

    @field_validator("question")
    @classmethod
    def _has_text(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the question is empty")
        return value

    def to_question(self) -> Question:
        """The usable question; ValueError when the line gives no reference answers."""
        if self.answers is not None:
            answers = self.answers
        elif self.kind == "chronology":  # judged by its entries (count, dates, order), not by a phrase
            answers = []
        elif self.answer is not None:
            if self.rating != "up":
                raise ValueError("feedback not rated 'up' gives no reference answer")
            answers = [re.sub(r"\s+(?=[.,;:!?])", "", uncited(self.answer)).strip()]
        else:
            raise ValueError("no 'answers' list")
        sources = [self.sources] if isinstance(self.sources, str) else self.sources or []
        qid = self.id if self.id is not None else hashlib.sha1(self.question.encode()).hexdigest()[:12]
        filters = {key: getattr(self, key) for key in FILTER_KEYS if getattr(self, key)}
        return Question(str(qid), self.question, answers, sources, filters, self.kind)


def _reason(exc: ValidationError) -> str:
    """The first problem of a validation error, on one line: `'answers.0': Input should be a valid string`."""
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    return f"{where!r}: {first['msg']}" if where else first["msg"]


def parse_line(line: str) -> Question:
    """One JSONL line as a Question; ValueError with the one-line reason it cannot be used."""
    data = json.loads(line)  # json.JSONDecodeError is a ValueError
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    try:
        return QuestionLine.model_validate(data).to_question()
    except ValidationError as exc:
        raise ValueError(_reason(exc)) from None


def read_questions(path: Path, warn: Callable[[str], None]) -> Iterator[Question]:
    """The usable questions in a JSONL file; each bad line is reported as `PATH:LINE: reason` and skipped."""
    with Path(path).open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                yield parse_line(line)
            except ValueError as exc:
                warn(f"{path}:{number}: {exc}")
