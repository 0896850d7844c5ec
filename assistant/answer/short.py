"""The short answer: among the phrases of the asked type in the candidate sentences, the best supported one.

A phrase is a candidate when spaCy tags it with a label the question asks for (or, for a "what + noun" we cannot
type, when it is a noun phrase), once the words it shares with the question are trimmed off its edges: a short
answer never repeats what the question already says. Candidates are scored by how good their sentence is, how
well their label fits, how close they stand to the question's words in it, and in how many other articles'
candidate sentences they recur (news that several articles report).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from assistant.answer.qtype import AnswerType
from assistant.terms import terms

_SCALE = {"hundred", "thousand", "million", "billion", "trillion", "lakh", "lakhs", "crore", "crores", "percent", "%"}
_EDGE = {"DET", "PUNCT", "ADP", "CCONJ", "PART", "PRON", "AUX", "SCONJ"}
_PHRASE = {"NOUN", "PROPN", "ADJ", "NUM"}
_MAX_WORDS = 8


@dataclass(frozen=True)
class ShortWeights:
    """How a candidate's score adds up (chosen by cross-validation, bench/tune.py)."""

    sentence: float = 1.0
    label: float = 0.5
    proximity: float = 0.5
    recurrence: float = 0.4


@dataclass
class Candidate:
    """A phrase of sentence `sentence`, at `start:end` of that sentence's text."""

    text: str
    sentence: int
    start: int
    end: int
    score: float


def _spans(doc: Any, asked: AnswerType) -> list[tuple[int, int, float]]:
    """Token spans of the asked type with how well their label fits (1 for the first label asked, at most 0.5 for
    the others: a "who" question wants a person first; for an untyped "what", entities and noun phrases alike)."""
    out = []
    for ent in doc.ents:
        if ent.label_ in asked.labels:
            end = ent.end
            while end < len(doc) and doc[end].lower_ in _SCALE:  # "65 lakh", "10 million", "3 percent"
                end += 1
            rank = asked.labels.index(ent.label_)
            out.append((ent.start, end, 0.5 if asked.phrases else 1.0 if rank == 0 else 0.6 - 0.1 * rank))
    if asked.noun:
        out += _named_after(doc, asked.noun)
    if asked.phrases:
        taken = {i for s, e, _ in out for i in range(s, e)}
        start = None
        for i, token in enumerate([*doc, None]):
            if token is not None and token.pos_ in _PHRASE and i not in taken:
                start = i if start is None else start
            elif start is not None:
                out.append((start, i, 0.5))
                start = None
    return out


def _named_after(doc: Any, noun: str) -> list[tuple[int, int, float]]:
    """The name that follows the question's noun ("the TV station Al-Manar"), whatever label the small model
    gives it: the apposition says what kind of thing it is."""
    out = []
    for i, token in enumerate(doc):
        if token.lower_ not in (noun, f"{noun}s"):
            continue
        j = i + 1
        while j < len(doc) and (doc[j].pos_ == "PROPN" or (
                doc[j].text in "-–" and j + 1 < len(doc) and doc[j + 1].pos_ == "PROPN")):
            j += 1
        if j > i + 1:
            out.append((i + 1, j, 1.5))
    return out


def _trimmed(doc: Any, start: int, end: int, question: set[str]) -> tuple[int, int] | None:
    """The span without edge words that are function words or already in the question; None if nothing is left
    that the question does not say."""
    def dull(token: Any) -> bool:
        if token.is_currency or token.text == "%":  # "$118 million" keeps its dollar sign
            return False
        return token.pos_ in _EDGE or not terms(token.text) or terms(token.text) <= question

    while start < end and dull(doc[start]):
        start += 1
    while end > start and dull(doc[end - 1]):
        end -= 1
    if start == end or end - start > _MAX_WORDS or terms(doc[start:end].text) <= question:
        return None
    return start, end


def _proximity(hits: list[tuple[int, str]], start: int, end: int, weights: dict[str, float]) -> float:
    """The question's words near the span, each weighted and counted less the farther it stands (0..1); `hits`
    are the sentence's (token index, question word) pairs."""
    near: dict[str, int] = {}
    for i, t in hits:
        gap = start - i if i < start else i - end + 1 if i >= end else 0
        near[t] = min(near.get(t, gap), gap)
    return sum(weights[t] / (1 + gap / 3) for t, gap in near.items()) / (sum(weights.values()) or 1.0)


def candidates(docs: list[Any], support: list[float], articles: list[str], asked: AnswerType,
               weights: dict[str, float], said: set[str], w: ShortWeights) -> list[Candidate]:
    """Every candidate phrase in the tagged sentences, best first. `support`: each sentence's score relative to
    the best (0..1); `articles`: the article each comes from; `said`: the words a follow-up's conversation already
    gave (its earlier question and short answer), which the answer must not be made of either."""
    question = set(weights) | said
    found: list[tuple[Candidate, float, float]] = []
    for n, doc in enumerate(docs):
        hits = [(i, t) for i, token in enumerate(doc) for t in terms(token.text) & weights.keys()]
        for start, end, fit in _spans(doc, asked):
            span = _trimmed(doc, start, end, question)
            if span is None:
                continue
            text = doc[span[0] : span[1]].text
            near = _proximity(hits, *span, weights)
            c = Candidate(text, n, doc[span[0]].idx, doc[span[1] - 1].idx + len(doc[span[1] - 1]), 0.0)
            found.append((c, fit, near))
    others = max(len(set(articles)) - 1, 1)
    texts = [d.text.lower() for d in docs]
    recurs = {c.text.lower(): len({a for text, a in zip(texts, articles, strict=True) if c.text.lower() in text})
              for c, _, _ in found}
    for c, fit, near in found:
        c.score = (w.sentence * support[c.sentence] + w.label * fit + w.proximity * near
                   + w.recurrence * (recurs[c.text.lower()] - 1) / others)
    return sorted((c for c, _, _ in found), key=lambda c: -c.score)
