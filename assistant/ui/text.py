"""Cutting archive text for display: the cited spans of an excerpt, a few hundred characters around them, and
which URLs may become links. Plain strings in, plain strings out: escaping is the templates' job."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from vectorstore.dates import day_number

_NOT_IN_URLS = set('"<>`\\\x7f')
CONTEXT_CHARS = 300  # what a card shows of its excerpt: the cited sentences and their neighbourhood


def get(record: Any, key: str, default: Any = None) -> Any:
    """A field of an Answer or a stored article, or of its JSON: the UI renders both (exports, old feedback)."""
    return record.get(key, default) if isinstance(record, dict) else getattr(record, key, default)


def as_json(record: Any) -> dict:
    """A Citation as its flat JSON, JSON as it is: a card reads one shape, whether it shows the app's own answer
    or an export's."""
    return record if isinstance(record, dict) else record.to_json()


def safe_url(url: str | None) -> str | None:
    """The URL if it is http(s) with a host and nothing a URL never holds (spaces, quotes, <, >, controls), else None:
    javascript:, data: and the like never become links."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() in ("http", "https") and parts.netloc and not any(c in _NOT_IN_URLS or ord(c) < 33
                                                                              for c in url):
        return url
    return None


def spans_of(citation: Any) -> list[tuple[int, int]]:
    """The supporting sentences of a citation, article offsets (a record from before `highlights` has one)."""
    return [tuple(s) for s in get(citation, "highlights", None) or
            [(get(citation, "highlight_start", 0), get(citation, "highlight_end", 0))]]


def segments(text: str, spans: list[tuple[int, int]], offset: int = 0) -> Iterator[tuple[str, bool]]:
    """text cut at the spans (minus offset, clipped to the text, overlaps joined): (piece, inside a span?)."""
    at = 0
    for a, b in sorted(spans):
        start, end = max(0, min(a - offset, len(text))), max(0, min(b - offset, len(text)))
        start = max(start, at)
        if start >= end:
            continue
        if at < start:
            yield text[at:start], False
        yield text[start:end], True
        at = end
    if at < len(text):
        yield text[at:], False


@dataclass
class Snippet:
    """Part of an excerpt around its cited spans; `before`/`after`: text was left out there."""

    pieces: list[tuple[str, bool]]
    before: bool
    after: bool


def snippet(text: str, spans: list[tuple[int, int]], offset: int = 0, chars: int = CONTEXT_CHARS) -> Snippet:
    """The cited spans of `text` whole, with context on both sides up to about `chars` in all, cut at spaces.

    A card shows this instead of the 1,000-character window: the evidence and enough around it to read it."""
    inside = [(max(0, a - offset), min(len(text), b - offset)) for a, b in spans if b - offset > 0 and a - offset
              < len(text) and b > a]
    lo, hi = (min(a for a, _ in inside), max(b for _, b in inside)) if inside else (0, 0)
    spare = max(0, chars - (hi - lo))
    start, end = max(0, lo - spare // 2), min(len(text), hi + spare - spare // 2)
    if start > 0 and (cut := text.find(" ", start, lo)) >= 0:
        start = cut + 1
    if end < len(text) and (cut := text.find(" ", max(end, hi))) >= 0:
        end = cut
    piece = text[start:end]
    return Snippet(list(segments(piece, inside, start)), start > 0, end < len(text))


# --- example questions from the archive's own titles -------------------------------------------------------------

_SMALL = {"a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "in", "into", "is", "it",
          "its", "of", "on", "or", "over", "the", "to", "was", "were", "will", "with", "after", "again", "against",
          "amid", "before", "new", "now", "says", "said", "say", "than", "that", "this", "up", "what", "when", "who",
          "why", "how"}
_NOT_TOPICS = ("ed", "ing", "ly", "al", "ar", "ic", "ive", "ous", "ful", "est", "er")  # verbs and adjectives, mostly
_WORD = re.compile(r"[A-Za-z][A-Za-z.&'’-]*[A-Za-z.]|[A-Za-z]")


def _words(title: str) -> list[str]:
    return [re.sub(r"['’]s$", "", w).rstrip(".") if not re.fullmatch(r"(?:[A-Z]\.)+", w) else w
            for w in _WORD.findall(title)]


def _names(title: str) -> list[str]:
    """The runs of capitalised words in a title ("Saddam Hussein", "North Korea"); the first word counts only when
    it is a name elsewhere too, which the caller's counting decides. A Title Cased Title names nothing."""
    words = _words(title)
    if len(words) > 3 and sum(w[0].isupper() for w in words) > 0.7 * len(words):
        return []
    runs, run = [], []
    for w in [*words, ""]:
        if w[:1].isupper() and w.lower() not in _SMALL:
            run.append(w)
        elif run:
            runs.append(" ".join(run))
            run = []
    return runs


def _topics(title: str) -> list[str]:
    return [w for w in _words(title) if w.islower() and len(w) >= 5 and w not in _SMALL
            and not w.endswith(_NOT_TOPICS)]


def _ranked(rows: list[tuple[str, str]], pick) -> list[str]:
    """Terms by how many titles hold them, then by their latest date, then alphabetically; at least two titles."""
    count: dict[str, int] = {}
    latest: dict[str, str] = {}
    for title, published in rows:
        for term in dict.fromkeys(pick(title)):
            count[term] = count.get(term, 0) + 1
            latest[term] = max(latest.get(term, ""), published)
    return sorted((t for t, n in count.items() if n >= 2), key=lambda t: (-count[t], -day_number(latest[t]), t))


def example_questions(articles: list[dict], limit: int = 4) -> list[str]:
    """Three or four questions the archive can answer, made from its titles (the most recent 500): what happened
    with its most-named names, how coverage of its most frequent topic changed, when one was in the news.
    Deterministic: the same archive always suggests the same questions."""
    rows = sorted(((a.get("title") or "", a.get("published") or "") for a in articles), key=lambda r: r[1],
                  reverse=True)[:500]
    names = [n for n in _ranked(rows, _names) if len(n) > 3]  # not "US", "UK": too broad to ask about
    names = [n for n in names if not any(n != m and n in m.split() for m in names[:8])] or names
    topics = _ranked(rows, _topics)
    out = []
    if names:
        out.append(f"What happened with {names[0]}?")
    if topics:
        out.append(f"How did coverage of the {topics[0]} change over time?")
    when = (names[1:] or [f"the {t}" for t in topics[1:] or topics] or [None])[0]
    if when:
        out.append(f"When was {when} in the news?")
    out += [f"What happened with {n}?" for n in names[2:2 + max(0, limit - len(out))]]
    return out[:limit]
