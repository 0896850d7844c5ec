"""Citations: what a marker [n] leads to, and the check that every marker in an answer leads somewhere."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from assistant.passage import Passage

_MARKER = re.compile(r"\[(\d{1,3})\]")


@dataclass
class Citation:
    """Source card n: the excerpt, its article, and the supporting sentence, in article-text offsets."""

    n: int
    article_id: str
    title: str
    url: str
    source: str
    published: str | None
    section: str
    excerpt: str
    char_start: int
    char_end: int
    highlight_start: int
    highlight_end: int
    score: float

    @classmethod
    def of(cls, n: int, passage: Passage, highlight: tuple[int, int] | None = None) -> Citation:
        start, end = highlight or (passage.char_start, passage.char_end)
        return cls(
            n, passage.article_id, passage.title, passage.url, passage.source, passage.published, passage.section,
            passage.text, passage.char_start, passage.char_end, start, end, round(passage.score, 5),
        )

    def to_json(self) -> dict:
        return asdict(self)


def check_markers(text: str, count: int) -> tuple[str, int]:
    """Remove markers that name no excerpt (n outside 1..count); returns the text and how many were removed."""
    removed = 0

    def keep(m: re.Match) -> str:
        nonlocal removed
        if 1 <= int(m.group(1)) <= count:
            return m.group(0)
        removed += 1
        return ""

    return _MARKER.sub(keep, text), removed


def cited(text: str) -> list[int]:
    """The marker numbers an answer uses, in order of first use."""
    return list(dict.fromkeys(int(n) for n in _MARKER.findall(text)))
