"""Small to search, big to read: a retrieved chunk is handed on inside a window of whole sentences around it.

Chunks are sized for the embedding model (at most 240 tokens, often one short paragraph), which keeps search
precise; but the sentence that answers a question often sits just after or before the one that matched. Each
passage is widened, a sentence after then one before, to at least `passage_chars` characters (the LangChain
tutorial's chunk size), and windows of one article that meet become one passage, leaving room for other evidence.
On realtimeqa-2022q4 this puts the answer in the five passages for 5 more questions in 264 (bench/README.md).
"""

from __future__ import annotations

from dataclasses import replace

from assistant.passage import Passage
from vectorstore.sentences import paragraphs, sentences


def widen(passage: Passage, text: str, min_chars: int) -> Passage:
    """The passage grown by whole sentences of `text` (its article section) to at least `min_chars`."""
    start, end = passage.char_start, passage.char_end
    reach = min_chars - (end - start)
    if reach <= 0 or text[start:end] != passage.text:  # long enough, or the article changed under us
        return passage
    near = [(a, b) for a, b in paragraphs(text) if b > start - reach and a < end + reach]
    spans = sentences(text, near[0][0], near[-1][1]) if near else []
    before = [s for s in reversed(spans) if s[1] <= start]
    after = [s for s in spans if s[0] >= end]
    while end - start < min_chars and (before or after):
        if after:
            end = after.pop(0)[1]
        if end - start < min_chars and before:
            start = before.pop(0)[0]
    return replace(passage, char_start=start, char_end=end, text=text[start:end])


def merged(held: Passage, new: Passage, text: str) -> Passage | None:
    """One passage covering both when they are windows of one article section that overlap or touch."""
    if (held.article_id, held.section) != (new.article_id, new.section):
        return None
    first, second = sorted((held, new), key=lambda p: p.char_start)
    if text[first.char_end : second.char_start].strip():  # text between them: two distinct windows
        return None
    start, end = first.char_start, max(first.char_end, second.char_end)
    return replace(held, char_start=start, char_end=end, text=text[start:end], score=max(held.score, new.score))
