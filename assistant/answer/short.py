"""The short answer: among the phrases of the asked type in the candidate sentences, the best supported one.

A phrase is a candidate when spaCy tags it with a label the question asks for (or, for a "what + noun" we cannot
type, when it is a noun phrase), once the words it shares with the question are trimmed off its edges: a short
answer never repeats what the question already says. Each candidate is described by a few signals — how good its
sentence is, how well its label fits, how close it stands to the question's words, whether the articles' titles
name it (news headlines name what a story is about), how often the candidate sentences repeat it — and scored by
a linear ranker whose weights are learned by cross-validation over both dev sets (bench/tune.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from assistant.answer.qtype import AnswerType
from assistant.terms import terms

_SCALE = {"hundred", "thousand", "million", "billion", "trillion", "lakh", "lakhs", "crore", "crores", "percent", "%"}
_EDGE = {"DET", "PUNCT", "ADP", "CCONJ", "PART", "PRON", "AUX", "SCONJ"}
_PHRASE = {"NOUN", "PROPN", "ADJ", "NUM"}
_MAX_WORDS = 8


@dataclass(frozen=True)
class ShortWeights:
    """A weight per candidate signal (the fields of `Candidate.signals`), learned by bench/tune.py: a softmax over
    each question's candidates, fitted to the SQuAD F1 of each against the gold answers, out-of-fold checked."""

    support: float = 3.61
    fit: float = 2.76
    proximity: float = 5.34
    in_titles: float = 2.73
    noun_near: float = 1.3
    recurrence: float = 1.17
    one_word: float = -0.89
    capitalised: float = 0.53

    def score(self, signals: dict[str, float]) -> float:
        return sum(getattr(self, name) * value for name, value in signals.items())


@dataclass
class Candidate:
    """A phrase of sentence `sentence`, at `start:end` of that sentence's text, with the signals it is scored by."""

    text: str
    sentence: int
    start: int
    end: int
    signals: dict[str, float] = field(default_factory=dict)
    score: float = 0.0


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
        # dates are what "when" asks for: a weekday is not the thing a "what" question wants
        taken = {i for s, e, _ in out for i in range(s, e)} | {
            i for ent in doc.ents if ent.label_ in ("DATE", "TIME") for i in range(ent.start, ent.end)}
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


def _trimmed(doc: Any, start: int, end: int, question: set[str], asked: AnswerType) -> tuple[int, int] | None:
    """The span without edge words that are function words or already in the question; None if nothing is left
    that the question does not say. Two kinds of question word stay at the edge: a number's unit ("45 days" for
    "how many days") and the asked noun inside a name ("Northeastern University" for "which university")."""
    def dull(token: Any, at_end: bool) -> bool:
        if token.is_currency or token.text == "%":  # "$118 million" keeps its dollar sign
            return False
        if token.pos_ in _EDGE:
            return True
        if at_end and token.i > start and (
                (asked.kind == "number" and token.pos_ == "NOUN" and doc[token.i - 1].like_num)
                or (token.pos_ == "PROPN" and asked.noun and terms(token.text) <= terms(asked.noun))):
            return False
        words = terms(token.text)  # none for a stop word, which a name may hold ("New York")
        return words <= question if words else token.pos_ != "PROPN"

    while start < end and dull(doc[start], False):
        start += 1
    while end > start and dull(doc[end - 1], True):
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


def candidates(docs: list[Any], support: list[float], titles: list[str], asked: AnswerType,
               weights: dict[str, float], said: set[str], w: ShortWeights) -> list[Candidate]:
    """Every candidate phrase in the tagged sentences, best first. `support`: each sentence's score relative to
    the best (0..1); `titles`: the title of the article each comes from; `said`: the words a follow-up's
    conversation already gave (its earlier question and short answer), which the answer must not be made of."""
    question = set(weights) | said
    texts = [d.text.lower() for d in docs]
    heads = [t.lower() for t in set(titles)]
    found: list[Candidate] = []
    for n, doc in enumerate(docs):
        hits = [(i, t) for i, token in enumerate(doc) for t in terms(token.text) & weights.keys()]
        seen = set()
        for start, end, fit in _spans(doc, asked):
            span = _trimmed(doc, start, end, question, asked)
            if span is None or span in seen:
                continue
            seen.add(span)
            s, e = span
            text = doc[s:e].text
            low = text.lower()
            c = Candidate(text, n, doc[s].idx, doc[e - 1].idx + len(doc[e - 1]))
            c.signals = {
                "support": support[n], "fit": fit,
                "proximity": _proximity(hits, s, e, weights),
                "in_titles": sum(low in h for h in heads) / len(heads),
                "noun_near": float(bool(asked.noun) and any(
                    t.lower_ in (asked.noun, f"{asked.noun}s") for t in doc[max(0, s - 2) : e + 2])),
                "recurrence": sum(low in t for t in texts) / len(texts),
                "one_word": float(e - s == 1), "capitalised": float(text[:1].isupper())}
            c.score = w.score(c.signals)
            found.append(c)
    return sorted(found, key=lambda c: -c.score)
