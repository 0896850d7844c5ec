"""The short answer: among the phrases of the asked type in the candidate sentences, the best supported one.

A phrase is a candidate when spaCy tags it with a label the question asks for (or, for a "what + noun" we cannot
type, when it is a noun phrase), once the words it shares with the question are trimmed off its edges: a short
answer never repeats what the question already says. Each candidate is described by a few signals — how good its
sentence is, how well its label fits, how close it stands to the question's words, whether the articles' titles
name it (news headlines name what a story is about), how often the candidate sentences repeat it, and where the
parse places it: the answer stands where the question's wh-word stands (the subject or object of the same verb,
the object of the same preposition on it, the apposition of the asked noun) — and scored by
a linear ranker whose weights are learned by cross-validation over both dev sets (bench/tune.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from assistant.qtype import AnswerType
from assistant.terms import terms

_SCALE = {"hundred", "thousand", "million", "billion", "trillion", "lakh", "lakhs", "crore", "crores", "percent", "%"}
_EDGE = {"DET", "PUNCT", "ADP", "CCONJ", "PART", "PRON", "AUX", "SCONJ"}
_PHRASE = {"NOUN", "PROPN", "ADJ", "NUM"}
_MAX_WORDS = 8
# Closed classes, not vocabularies: a title of address is never an answer on its own; a date is anchored in the
# calendar only by a number, a month or a century, and a deictic word makes it relative to the article's own day
_HONORIFICS = {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "rev", "hon", "st", "gen", "sen",
               "rep", "gov", "lt", "col", "capt", "sgt"}
_CALENDAR = {"january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
             "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov",
             "dec", "century", "centuries"}
_DEICTIC = {"ago", "last", "next", "this", "past", "coming", "yesterday", "today", "tomorrow", "tonight", "recent",
            "recently", "earlier", "later", "previous", "following", "current", "now"}
_DURATION = {"second", "seconds", "minute", "minutes", "hour", "hours", "day", "days", "week", "weeks", "month",
             "months", "year", "years", "decade", "decades"}
# the nouns of a when-question whose answer must be a calendar date (not "what day", "what season", "what time")
_DATED = {None, "year", "date", "month", "decade", "century"}


@dataclass(frozen=True)
class ShortWeights:
    """A weight per candidate signal (the fields of `Candidate.signals`), learned by bench/tune.py: a softmax over
    each question's candidates, fitted to the SQuAD F1 of each against the gold answers, out-of-fold checked."""

    # Each fitted by bench/tune.py --without apposed (2026-12-04) on all 764 questions of realtimeqa-2022q4 and
    # squad2-sample (their answerable questions' candidates); out of fold short_answer_f1 0.391 / 0.351,
    # realtimeqa / squad2 (0.363 / 0.350 before the parse signals; bench/README.md)
    support: float = 2.8
    fit: float = 2.55
    proximity: float = 6.09
    in_titles: float = 2.4
    noun_near: float = 1.42
    recurrence: float = 1.65
    one_word: float = -0.83
    capitalised: float = 0.57
    role: float = 0.94  # the subject or object of the question's verb, as the wh-word is
    apposed: float = 0.0  # an apposition or "X-based" modifier of the asked noun: no out-of-fold gain, left out
    prep: float = 0.75  # the object of the question's preposition (or where/when's) on its verb

    def score(self, signals: dict[str, float]) -> float:
        return sum(getattr(self, name) * value for name, value in signals.items())


_MARGIN_CAP = 5.0  # a lone candidate's margin: far past where the fitted confidence stops changing


@dataclass(frozen=True)
class Calibration:
    """Platt scaling: the probability that the best candidate is right (contains, or is contained in, a gold
    answer), a logistic function of `gate_features`; and the threshold under which the answer shows no short
    answer. Fitted by bench/tune.py out of fold on realtimeqa-2022q4 and squad2-sample together (764 questions),
    on the candidates the ranker picked for the questions it answered."""

    # Each fitted by bench/tune.py --without apposed (2026-12-04, the shipped ranker's signals) on the 640
    # answered questions with a candidate (realtimeqa-2022q4 231, squad2-sample 409 of which 204 unanswerable),
    # features from each question's out-of-fold ranker
    intercept: float = -2.213
    agreement: float = 0.47  # the ranker's softmax probability on the best candidate and the mentions of it
    margin: float = 0.36  # the ranker's score of the best minus that of the best that disagrees with it (capped)
    passages: float = 0.626  # the share of the retrieved passages that name it
    coverage: float = 0.576  # how much of the question its own sentence covers
    evidence: float = 0.267  # how well the best sentence covers the question (what refusals are decided on)
    # the lowest confidence whose short answers were right >= 85% of the time, on the out-of-fold confidences of
    # the same 640 (out of fold, nested: precision 0.79 / 0.60, coverage 5.3% / 1.2%, realtimeqa / squad2)
    threshold: float = 0.699

    def confidence(self, features: dict[str, float]) -> float:
        z = self.intercept + sum(getattr(self, name) * value for name, value in features.items())
        return 1 / (1 + math.exp(-z))


def gate_features(found: list[Candidate], passages: list[str], sentence_coverage: float,
                  evidence: float) -> dict[str, float]:
    """What the confidence is a function of, for the best of the candidates `found` (best first): how much of the
    ranker's belief it holds (its mentions "Hadi" and "Ahmed Abdel Hadi" are one answer), how many of the
    retrieved `passages` name it (news answers recur), how well its sentence and the best one cover the question.
    Few and principled, so that a fit on 764 questions carries over."""
    best = found[0].text.lower()
    agrees = [best in c.text.lower() or c.text.lower() in best for c in found]
    top = found[0].score
    mass = [math.exp(c.score - top) for c in found]
    rival = next((c.score for c, same in zip(found, agrees, strict=True) if not same), None)
    return {"agreement": sum(m for m, same in zip(mass, agrees, strict=True) if same) / sum(mass),
            "margin": _MARGIN_CAP if rival is None else min(top - rival, _MARGIN_CAP),
            "passages": sum(best in p.lower() for p in passages) / max(len(passages), 1),
            "coverage": sentence_coverage, "evidence": evidence}


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

    first, last = start, end
    while start < end and dull(doc[start], False):
        start += 1
    while end > start and dull(doc[end - 1], True):
        end -= 1
    if start == end or end - start > _MAX_WORDS or terms(doc[start:end].text) <= question:
        return None
    # a name cut where the question's words were trimmed off ("President [Biden]", "Mr. [Hussein]", "[Saddam]
    # Hussein") is the rest of the question's own name, not another one
    if (start > first and doc[start - 1].pos_ == doc[start].pos_ == "PROPN") or (
            end < last and doc[end].pos_ == doc[end - 1].pos_ == "PROPN"):
        return None
    return start, end


def _answers_nothing(doc: Any, start: int, end: int, asked: AnswerType, fit: float) -> bool:
    """A phrase that names nothing the question asks for: a title of address or a pronoun alone; a lone adjective
    ("public") or, where a name, place, number or date is asked, a lone common noun ("series"); a capitalised word
    the NER model reads as no name ("President"); and for "when", a date that is not anchored in the calendar
    ("Thursday", "last week"), or a duration ("within 30 days"): it names a day only relative to its article's
    date, and is often another event."""
    span = [t for t in doc[start:end] if not t.is_punct]
    if all(t.lower_.rstrip(".") in _HONORIFICS or t.pos_ == "PRON" for t in span):
        return True
    if len(span) == 1:
        t = span[0]
        if (t.is_lower and (t.pos_ == "ADJ" or (t.pos_ == "NOUN" and (asked.kind != "thing" or asked.noun)))) or (
                t.pos_ == "PROPN" and not t.ent_type_ and fit <= 1):
            return True
    if asked.kind == "date" and asked.noun in _DATED:
        calendar = any(t.lower_.rstrip(".") in _CALENDAR or (t.like_num and len(t.text) == 4) for t in span)
        anchored = calendar or any(any(c.isdigit() for c in t.text) for t in span)
        lasts = any(t.lower_ in _DURATION for t in span) and not calendar  # "30 days" says how long, not when
        return not anchored or lasts or any(t.lower_ in _DEICTIC for t in span)
    return False


def _governor(token: Any) -> Any:
    """The phrase a token stands for in the parse: a conjunct, apposition or compound part stands for its head's
    ("the mayor, John Smith, opened" → "mayor", the subject of "opened")."""
    while token.dep_ in ("conj", "appos", "compound") and token.head is not token:
        token = token.head
    return token


def _parse_signals(doc: Any, start: int, end: int, asked: AnswerType) -> dict[str, float]:
    """Where the span stands in its sentence's parse against where the question's wh-word stands: `role`, the
    subject or object of the question's verb (a passive's "by" object is its subject, its subject the object);
    `prep`, the object of the question's preposition on that verb; `apposed`, an apposition or "X-based" modifier
    of the noun the question asks for ("the station Al-Manar", "the Paris-based group")."""
    root = _governor(doc[start:end].root)
    head = root.head
    verb = asked.verb
    if root.dep_ == "pobj" and head.dep_ == "agent":
        role = "subject" if head.head.lemma_.lower() == verb else None
    else:
        role = ("subject" if root.dep_ in ("nsubj", "csubj") else "object" if root.dep_ in ("dobj", "nsubjpass")
                else None) if head.lemma_.lower() == verb else None
    prep = root.dep_ == "pobj" and head.lower_ in (asked.prep or "").split() and head.head.lemma_.lower() == verb
    return {"role": float(bool(verb) and role is not None and role == asked.role),
            "apposed": float(bool(asked.noun) and _apposed(doc[start:end].root, asked.noun)),
            "prep": float(bool(verb) and prep)}


def _apposed(token: Any, noun: str) -> bool:
    """The token is an apposition of the noun, the noun one of it, or it modifies the noun as "X-based"."""
    def named(t: Any) -> bool:
        return t.lower_ in (noun, f"{noun}s") or t.lemma_.lower() == noun

    if token.dep_ == "appos" and named(token.head):
        return True
    if any(c.dep_ in ("appos", "compound") and named(c) for c in token.children):
        return True
    modified = token.head
    return token.dep_ in ("npadvmod", "compound") and modified.lower_.endswith("based") and named(modified.head)


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
            if span is None or span in seen or _answers_nothing(doc, *span, asked, fit):
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
                "one_word": float(e - s == 1), "capitalised": float(text[:1].isupper()),
                **_parse_signals(doc, s, e, asked)}
            c.score = w.score(c.signals)
            found.append(c)
    return sorted(found, key=lambda c: -c.score)
