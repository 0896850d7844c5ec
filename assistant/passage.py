"""A retrieved passage: the chunk, the article it is from, where it sits there, and how it was found."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from vectorstore.article import ArticleMeta, flattened, nested


@dataclass
class Passage:
    chunk_id: str
    article: ArticleMeta
    section: str
    index: int
    char_start: int
    char_end: int
    text: str
    score: float = 0.0
    dense: float = 0.0
    lexical: float = 0.0

    @classmethod
    def from_json(cls, row: Mapping[str, Any], **scores: float) -> Passage:
        """From the flat row the store and BM25 read a chunk as (its fields beside its article's), with any
        search scores: the store keeps its plain rows, and the passage its one article record."""
        return cls(**nested(row), **scores)

    def to_json(self) -> dict:
        """Flat, as the store's rows: what a LangChain Document's metadata holds."""
        return flattened(self)
