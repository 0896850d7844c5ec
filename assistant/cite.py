"""Citations: what a marker [n] leads to, and the check that every marker in an answer leads somewhere."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from vectorstore.article import ArticleMeta, flattened, nested
from vectorstore.passage import Passage

MARKER = re.compile(r"\[(\d{1,3})\]")  # [n]: what an answer cites excerpt n with
_UNFINISHED = re.compile(r"\[\d{0,3}\Z")


@dataclass
class Citation:
    """Source card n: the excerpt, its article, and the supporting sentences, in article-text offsets.
    `highlight_start/end` is the first supporting sentence; `highlights` all of them, when an answer draws more
    than one sentence from one excerpt."""

    n: int
    article: ArticleMeta
    section: str
    excerpt: str
    char_start: int
    char_end: int
    highlight_start: int
    highlight_end: int
    score: float
    highlights: list[tuple[int, int]] = field(default_factory=list)

    @classmethod
    def of(cls, n: int, passage: Passage, highlight: tuple[int, int] | None = None) -> Citation:
        start, end = highlight or (passage.char_start, passage.char_end)
        return cls(
            n, passage.article, passage.section, passage.text, passage.char_start, passage.char_end, start, end,
            round(passage.score, 5), [highlight] if highlight else [],
        )

    def to_json(self) -> dict:
        """Flat (article_id, title, url, source, published beside the card's fields): what `ask --json`, /ask, eval
        and the UI's export have always written, and readers of it read."""
        return flattened(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Citation:
        """A card again from its JSON (a JSON array read back as the (start, end) pair it was)."""
        fields = nested(data)
        return cls(**{**fields, "highlights": [tuple(s) for s in fields.get("highlights", [])]})


def check_markers(text: str, count: int) -> tuple[str, int]:
    """Remove markers that name no excerpt (n outside 1..count); returns the text and how many were removed."""
    removed = 0

    def keep(m: re.Match) -> str:
        nonlocal removed
        if 1 <= int(m.group(1)) <= count:
            return m.group(0)
        removed += 1
        return ""

    return MARKER.sub(keep, text), removed


def defused(text: str) -> str:
    """Quoted text with its own [n] written (n): a footnote mark or a planted [2] in an excerpt must not pass for
    a marker, nor be copied into an answer as one."""
    return MARKER.sub(r"(\1)", text)


def checked_stream(pieces: Iterable[str], count: int) -> Iterator[str]:
    """`check_markers` on text as it streams: a "[" that may still become a marker is held until it is one or not,
    so a marker naming no excerpt never reaches a reader, even split across pieces."""
    pending = ""
    for piece in pieces:
        pending += piece
        held = _UNFINISHED.search(pending)
        ready, pending = (pending[: held.start()], pending[held.start() :]) if held else (pending, "")
        if ready:
            yield check_markers(ready, count)[0]
    if pending:
        yield check_markers(pending, count)[0]


def cited(text: str) -> list[int]:
    """The marker numbers an answer uses, in order of first use."""
    return list(dict.fromkeys(int(n) for n in MARKER.findall(text)))


def uncited(text: str) -> str:
    """The text with its markers taken out."""
    return MARKER.sub("", text)
