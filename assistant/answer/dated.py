"""Answers made of dated sentences: what happened (event) and how it unfolded (chronology).

A "what happened" or "how did X change" question is not answered by one phrase, nor by the two sentences that
best match its words: it wants the developments, dated, from the articles about X. Both answers draw on every
retrieved candidate whose article is about the question's subject (the plan's relevance test), not only the top
k. A chronology splits the span of those articles' dates into periods and takes from each the best-supported
sentence that says something new; an event answer takes the few most central sentences across articles. Near-
identical sentences (wire copies) are one entry citing every source. Entries come in date order, never dated
after the as-of date, each "YYYY-MM-DD — sentence [n]".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from assistant.answer import NO_ANSWER, Draft
from assistant.cite import Citation, defused
from assistant.plan import QuestionPlan
from assistant.terms import coverage, terms
from vectorstore.dates import day_of
from vectorstore.passage import Passage
from vectorstore.sentences import sentences

MAX_ENTRIES = 6  # a chronology's periods: enough to show a development, few enough to read at a glance
EVENT_SENTENCES = 4
_SAME = 0.6  # Jaccard of two sentences' words at which they tell one thing (wire copies, a repeated lede)
_MIN_WORDS = 6  # shorter "sentences" are headings, datelines and captions, not developments
_PER_ARTICLE = 3  # an article's best sentences that compete for an entry
_COPY_DAYS = 3  # wire copies of one story run within days of each other
_CLOSERS = "\"'”’)]"
_YEAR = re.compile(r"\b(?:1[89]|20)\d\d\b")
_LEDE = 0.25  # a news article's first sentences say what happened: this much extra for the first one
# a dated answer's line, as written offline or by a chat model: "YYYY-MM-DD — sentence [n][m]"
_LINE = re.compile(r"^\s*(?:[-*•]\s*)?(\d{4}-\d{2}-\d{2})\s*[—–:-]\s*(.+?)\s*((?:\[\d{1,3}\])+)[.\s]*$", re.M)


@dataclass
class Entry:
    """One dated development and the cards that back it."""

    date: str
    text: str
    citations: list[int] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"date": self.date, "text": self.text, "citations": list(self.citations)}


@dataclass
class _Sentence:
    passage: Passage
    span: tuple[int, int]  # in the article's text
    text: str
    words: frozenset[str]
    score: float
    copies: list[_Sentence] = field(default_factory=list)  # near-identical sentences of other articles

    @property
    def day(self) -> str:
        return (self.passage.article.published or "")[:10]


def _similar(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _candidates(plan: QuestionPlan, ranked: list[Passage], as_of: date | None) -> list[_Sentence]:
    """The sentences about the subject in dated passages about it, no later than `as_of`, best first, the best
    few of each article; a near copy of a better one is folded into it."""
    top = max((p.score for p in ranked), default=1.0) or 1.0
    found: list[_Sentence] = []
    for p in ranked:
        day = (p.article.published or "")[:10]
        if not day or (as_of and day > as_of.isoformat()) or not plan.about(f"{p.article.title}\n{p.text}"):
            continue
        for n, (start, end) in enumerate(sentences(p.text)):
            text = p.text[start:end].strip()
            words = terms(text)
            cov = coverage(plan.subject, words)
            lede = p.index == 0 and n == 0
            if _told(text, day) and (cov or lede):
                found.append(_Sentence(p, (p.char_start + start, p.char_start + end), text, words,
                                       cov + _LEDE * lede + 0.3 * p.score / top))
    found.sort(key=lambda s: -s.score)
    return _folded(found)


def _told(text: str, day: str) -> bool:
    """A sentence that tells a development: whole (it ends as a sentence ends, so not a headline, dateline or
    caption), not a question, and not a recollection of other years ("In 2003, Bush said…")."""
    years = set(_YEAR.findall(text))
    return (len(text.split()) >= _MIN_WORDS and text.rstrip(_CLOSERS)[-1:] in ".!"
            and not (years and day[:4] not in years))


def _folded(found: list[_Sentence]) -> list[_Sentence]:
    """At most `_PER_ARTICLE` sentences of an article, and each near copy of a better sentence (a wire copy, the
    same lede re-run within days) folded into it: compared only with those of nearby days, not all of them."""
    kept: list[_Sentence] = []
    by_day: dict[date, list[_Sentence]] = {}
    per_article: dict[str, int] = {}
    for s in found:
        if per_article.get(s.passage.article.id, 0) >= _PER_ARTICLE:
            continue
        day = day_of(s.day)
        near = (k for d in range(-_COPY_DAYS, _COPY_DAYS + 1) for k in by_day.get(day + timedelta(days=d), ()))
        twin = next((k for k in near if _similar(k.words, s.words) >= _SAME), None)
        if twin is None:
            kept.append(s)
            by_day.setdefault(day, []).append(s)
            per_article[s.passage.article.id] = per_article.get(s.passage.article.id, 0) + 1
        elif s.passage.article.id != twin.passage.article.id:
            twin.copies.append(s)
    return kept


def _periods(days: list[str], n: int) -> list[tuple[str, str]]:
    """The span of these dates in `n` periods holding about as many distinct dates each (first, last day)."""
    distinct = sorted(set(days))
    n = min(n, len(distinct))
    bounds = [round(i * len(distinct) / n) for i in range(n + 1)]
    return [(distinct[bounds[i]], distinct[bounds[i + 1] - 1]) for i in range(n)]


def chronology_sentences(plan: QuestionPlan, ranked: list[Passage], as_of: date | None) -> list[_Sentence]:
    """The best-supported new sentence of each period, in date order (support: its score, and each wire copy)."""
    pool = _candidates(plan, ranked, as_of)
    picked: list[_Sentence] = []
    for first, last in _periods([s.day for s in pool], MAX_ENTRIES):
        inside = [s for s in pool if first <= s.day <= last]
        best = max(inside, key=lambda s: s.score + 0.1 * len(s.copies), default=None)
        if best is not None:
            picked.append(best)
    return sorted(picked, key=lambda s: (s.day, s.span[0]))


def event_sentences(plan: QuestionPlan, ranked: list[Passage], as_of: date | None) -> list[_Sentence]:
    """The most central sentences about the subject, one an article, in date order: central is what the other
    candidate sentences also say (their shared words), so a stray detail of one article is not chosen."""
    pool = _candidates(plan, ranked, as_of)[: 8 * EVENT_SENTENCES]
    central = {id(s): s.score + sum(_similar(s.words, o.words) for o in pool if o is not s) for s in pool}
    picked: list[_Sentence] = []
    for s in sorted(pool, key=lambda s: -central[id(s)]):
        if len(picked) == EVENT_SENTENCES:
            break
        if all(s.passage.article.id != p.passage.article.id for p in picked):
            picked.append(s)
    return sorted(picked, key=lambda s: (s.day, s.span[0]))


def compose(picked: list[_Sentence]) -> Draft:
    """The dated list: one line an entry, each sentence with the card of every article that carried it."""
    if not picked:
        return Draft(NO_ANSWER, refused=True)
    cards: dict[tuple[str, int], Citation] = {}
    lines = []
    for s in picked:
        numbers = []
        for one in (s, *s.copies):
            key = (one.passage.article.id, one.passage.char_start)
            if key not in cards:
                cards[key] = Citation.of(len(cards) + 1, one.passage, one.span)
            elif one.span not in cards[key].highlights:
                cards[key].highlights.append(one.span)
            numbers.append(cards[key].n)
        lines.append(f"{s.day} — {defused(s.text)} {''.join(f'[{n}]' for n in sorted(set(numbers)))}")
    return Draft("\n".join(lines), refused=False, citations=list(cards.values()))


def entries_of(text: str) -> list[Entry]:
    """The entries of a dated answer, read from its lines ("YYYY-MM-DD — sentence [n]"), whoever wrote it."""
    return [Entry(m.group(1), m.group(2).strip(), [int(n) for n in re.findall(r"\d+", m.group(3))])
            for m in _LINE.finditer(text)]


def dated_passages(picked: list[_Sentence]) -> list[Passage]:
    """The passages behind the picked sentences, once each, in date order: what a chat model writes entries from."""
    seen: dict[tuple[str, int], Passage] = {}
    for s in picked:
        for one in (s, *s.copies):
            seen.setdefault((one.passage.article.id, one.passage.char_start), one.passage)
    return sorted(seen.values(), key=lambda p: p.article.published or "")
