"""Small to search, big to read: a retrieved chunk is handed on inside a window of whole sentences around it.

Chunks are sized for the embedding model (at most 240 tokens, often one short paragraph), which keeps search
precise; but the sentence that answers a question often sits just after or before the one that matched. Each
passage is widened, a sentence after then one before, to at least `passage_chars` characters (the LangChain
tutorial's chunk size), and windows of one article that meet become one passage, leaving room for other evidence.
On realtimeqa-2022q4 answer_in_context@5 went from 0.754 to 0.776 (bench/README.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from vectorstore.passage import Passage
from vectorstore.sentences import paragraphs, sentences


def widen(passage: Passage, text: str, min_chars: int) -> Passage:
    """The passage grown by whole sentences of `text` (its article section) to at least `min_chars`."""
    start, end = passage.char_start, passage.char_end
    if end - start >= min_chars or text[start:end] != passage.text:  # long enough, or the article changed
        return passage
    after, before = _ahead(text, end, 2 * min_chars), _behind(text, start, 2 * min_chars)
    while end - start < min_chars:
        grown = False
        if (nxt := next(after, None)) is not None:
            end, grown = nxt[1], True
        if end - start < min_chars and (prev := next(before, None)) is not None:
            start, grown = prev[0], True
        if not grown:
            break
    return replace(passage, char_start=start, char_end=end, text=text[start:end])


# A window looks at most `reach` characters to either side and splits sentences a paragraph at a time, as it
# needs them (a PDF's paragraph may run to 100k characters). A sentence cut where the reach stops is left out.

def _ahead(text: str, end: int, reach: int) -> Iterator[tuple[int, int]]:
    stop = min(len(text), end + reach)
    blocks = paragraphs(text[end:stop])
    for i, (a, b) in enumerate(blocks):
        spans = sentences(text, end + a, end + b)
        yield from spans[:-1] if i == len(blocks) - 1 and stop < len(text) else spans


def _behind(text: str, start: int, reach: int) -> Iterator[tuple[int, int]]:
    begin = max(0, start - reach)
    blocks = paragraphs(text[begin:start])
    for i, (a, b) in reversed(list(enumerate(blocks))):
        spans = sentences(text, begin + a, begin + b)
        yield from reversed(spans[1:] if i == 0 and begin > 0 else spans)


def merged(held: Passage, new: Passage, text: str) -> Passage | None:
    """One passage covering both when they are windows of one article section that overlap or touch."""
    if (held.article.id, held.section) != (new.article.id, new.section) or any(
            text[p.char_start : p.char_end] != p.text for p in (held, new)):  # or the article changed under us
        return None
    first, second = sorted((held, new), key=lambda p: p.char_start)
    if text[first.char_end : second.char_start].strip():  # text between them: two distinct windows
        return None
    start, end = first.char_start, max(first.char_end, second.char_end)
    return replace(held, char_start=start, char_end=end, text=text[start:end], score=max(held.score, new.score))
