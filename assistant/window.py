"""Small to search, big to read: a retrieved chunk is handed on inside a window of whole sentences around it.

Chunks are sized for the embedding model (at most 240 tokens, often one short paragraph), which keeps search
precise; but the sentence that answers a question often sits just after or before the one that matched. Each
passage is widened, a sentence after then one before, to at least `passage_chars` characters (the LangChain
tutorial's chunk size), and windows of one article that meet become one passage, leaving room for other evidence.
On realtimeqa-2022q4 answer_in_context@5 went from 0.754 to 0.776 (bench/README.md).
"""

from __future__ import annotations

from dataclasses import replace

from assistant.passage import Passage
from vectorstore.sentences import paragraphs, sentences


def widen(passage: Passage, text: str, min_chars: int) -> Passage:
    """The passage grown by whole sentences of `text` (its article section) to at least `min_chars`."""
    start, end = passage.char_start, passage.char_end
    if end - start >= min_chars or text[start:end] != passage.text:  # long enough, or the article changed
        return passage
    blocks = paragraphs(text)
    after = (s for a, b in blocks if b > end for s in sentences(text, a, b) if s[0] >= end)
    before = (s for a, b in reversed(blocks) if a < start for s in reversed(sentences(text, a, b)) if s[1] <= start)
    while end - start < min_chars:
        grown = False
        if (nxt := next(after, None)) is not None:
            end, grown = nxt[1], True
        if end - start < min_chars and (prev := next(before, None)) is not None:
            start, grown = prev[0], True
        if not grown:
            break
    return replace(passage, char_start=start, char_end=end, text=text[start:end])


def merged(held: Passage, new: Passage, text: str) -> Passage | None:
    """One passage covering both when they are windows of one article section that overlap or touch."""
    if (held.article_id, held.section) != (new.article_id, new.section) or any(
            text[p.char_start : p.char_end] != p.text for p in (held, new)):  # or the article changed under us
        return None
    first, second = sorted((held, new), key=lambda p: p.char_start)
    if text[first.char_end : second.char_start].strip():  # text between them: two distinct windows
        return None
    start, end = first.char_start, max(first.char_end, second.char_end)
    return replace(held, char_start=start, char_end=end, text=text[start:end], score=max(held.score, new.score))
