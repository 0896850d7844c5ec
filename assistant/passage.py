"""A retrieved passage: the chunk, where it sits in its article, and how it was found."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Passage:
    chunk_id: str
    article_id: str
    section: str
    index: int
    char_start: int
    char_end: int
    text: str
    title: str
    url: str
    source: str
    published: str | None
    score: float = 0.0
    dense: float = 0.0
    lexical: float = 0.0
