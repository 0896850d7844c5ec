"""Sentence spans with character offsets: the unit that chunks are packed from and that citations highlight."""

from __future__ import annotations

import re

import blingfire

_PARAGRAPH = re.compile(r"(?:[^\n]|\n(?!\s*\n))+")


def paragraphs(text: str) -> list[tuple[int, int]]:
    """(start, end) of each paragraph (blocks split on blank lines), whitespace trimmed."""
    spans = []
    for m in _PARAGRAPH.finditer(text):
        start, end = m.start(), m.end()
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            spans.append((start, end))
    return spans


def sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """(start, end) of each sentence of text[start:end], in text's coordinates; never crosses a paragraph."""
    end = len(text) if end is None else end
    spans = []
    for p_start, p_end in paragraphs(text[start:end]):
        piece = text[start + p_start : start + p_end]
        _, offsets = blingfire.text_to_sentences_and_offsets(piece)
        spans.extend((start + p_start + a, start + p_start + b) for a, b in offsets if b > a)
    return spans
