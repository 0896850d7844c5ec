"""Split a cleaned article into passages the embedding model reads whole.

all-MiniLM-L6-v2 embeds at most 256 word pieces and silently drops the rest, so every chunk is sized in the
model's own tokens. Chunks are packed from whole sentences, start at paragraph breaks where they can, do not
overlap (overlap costs embedding time and crowds results with near-copies), and keep their character span.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from vectorstore.article import BODY, COMMENTS, Article, Chunk
from vectorstore.sentences import paragraphs, sentences

# Token counts for a batch of strings, and (start, end) char spans of at most n tokens covering a long string.
CountTokens = Callable[[list[str]], list[int]]
SplitTokens = Callable[[str, int], list[tuple[int, int]]]


@dataclass(frozen=True)
class _Unit:
    start: int
    end: int
    tokens: int
    opens_paragraph: bool


class Chunker:
    """Packs sentences into chunks of at most `max_tokens` model tokens."""

    def __init__(self, count: CountTokens, split: SplitTokens, max_tokens: int) -> None:
        if max_tokens < 16:
            raise ValueError(f"chunk size of {max_tokens} tokens is too small; use at least 16")
        self.count, self.split, self.max_tokens = count, split, max_tokens

    def __call__(self, article: Article) -> list[Chunk]:
        chunks = []
        for section, text in ((BODY, article.text), (COMMENTS, article.comments)):
            for i, (start, end) in enumerate(self._spans(text)):
                chunks.append(Chunk(article.id, section, i, start, end, text[start:end], article.content_hash))
        return chunks

    def _units(self, text: str) -> list[_Unit]:
        spans, opens = [], []
        for p_start, p_end in paragraphs(text):
            for j, span in enumerate(sentences(text, p_start, p_end)):
                spans.append(span)
                opens.append(j == 0)
        counts = self.count([text[a:b] for a, b in spans]) if spans else []
        units = []
        for (start, end), count, first in zip(spans, counts, opens, strict=True):
            tokens = max(count, 1)  # a sentence the tokenizer drops whole (e.g. all accents) still takes a place
            if tokens <= self.max_tokens:
                units.append(_Unit(start, end, tokens, first))
                continue
            for k, (a, b) in enumerate(self.split(text[start:end], self.max_tokens)):
                units.append(_Unit(start + a, start + b, self.max_tokens, first and k == 0))
        return units

    def _spans(self, text: str) -> list[tuple[int, int]]:
        spans: list[tuple[int, int]] = []
        start = end = tokens = 0
        for unit in self._units(text):
            full = tokens + unit.tokens > self.max_tokens
            # Prefer to begin a new chunk at a paragraph once the current one is three quarters full.
            if tokens and (full or (unit.opens_paragraph and tokens >= self.max_tokens * 3 // 4)):
                spans.append((start, end))
                tokens = 0
            if not tokens:
                start = unit.start
            end, tokens = unit.end, tokens + unit.tokens
        if tokens:
            spans.append((start, end))
        return spans
