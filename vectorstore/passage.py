"""The one record of a passage, from the store to the browser: the chunk, the article it is from, where it sits
there, and how it was found. Built here from what Chroma or the BM25 copy holds; the citation, the eval record,
feedback and the UI card are all made from it."""

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
    bm25: float = 0.0

    @classmethod
    def of_chunk(cls, chunk_id: str, text: str, meta: Mapping[str, Any]) -> Passage:
        """From a chunk's Chroma record: its text and metadata (where "" stands for an unknown date)."""
        article = ArticleMeta(meta["article_id"], meta["title"], meta["url"], meta["source"], meta["published"] or None)
        return cls(chunk_id, article, meta["section"], meta["index"], meta["char_start"], meta["char_end"], text)

    @classmethod
    def from_json(cls, row: Mapping[str, Any]) -> Passage:
        """From its flat JSON (`to_json`), as a LangChain Document's metadata carries it."""
        return cls(**nested(row))

    def to_json(self) -> dict:
        """Flat: the article's keys beside the passage's."""
        return flattened(self)
