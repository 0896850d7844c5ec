"""The offline answerer: the short answer, then the retrieved sentences that support it, each with its [n].

Sentences are scored against the question (its content words, the kind of answer a wh-word asks for); spaCy
then reads only the best few for a phrase of the asked type (assistant/answer/short.py). Weak evidence — the
question's key words are not in any passage, or no phrase of the asked type is — is a refusal.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from assistant.answer import NO_ANSWER, Draft, opening_short_answer
from assistant.answer.short import Calibration, Candidate, ShortWeights, candidates, gate_features
from assistant.answer.support import key_terms, on_topic, supporting
from assistant.cite import Citation, defused
from assistant.followup import leans_on_history
from assistant.ner import pipeline, tag
from assistant.plan import subject_terms
from assistant.qtype import answer_type
from assistant.terms import coverage, terms, weights
from vectorstore.passage import Passage
from vectorstore.sentences import sentences

_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)*")
_NUMBER = re.compile(r"\b\d[\d,.]*\b")
_YEAR = re.compile(r"\b(1[89]|20)\d\d\b|\b(January|February|March|April|May|June|July|August|September|October|"
                   r"November|December)\b")
_CANDIDATE_SENTENCES = 5  # spaCy reads this many of the best sentences, no more (5 read as well as 6, 4 worse)
# How a sentence is scored, set by hand on realtimeqa-2022q4 (bench/quality.py); the refusal threshold over the
# evidence is cross-validated over both dev sets (bench/tune.py).
_SENTENCE_COVERAGE = 0.6  # the question's weighted terms found in the sentence
_PASSAGE_COVERAGE = 0.3  # ... in its passage: the context a sentence of pronouns leans on
_TYPE_BONUS = 0.15  # the sentence holds what the wh-word asks for (a new name, a number, a date)
_RANK_PRIOR = 0.2  # retrieval's order: all of it to the first passage, none to the last
_DENSE_EVIDENCE = 0.5  # evidence: this share from the passage's dense similarity, the rest from term coverage
_PASSAGE_EVIDENCE = 0.8  # a passage's coverage counts for less evidence than the sentence's own


@dataclass(frozen=True)
class Weights:
    """The answerer's tunable numbers, chosen by cross-validation over both dev sets (bench/tune.py).
    `typed`: evidence added when a phrase of the asked type was found (no such phrase argues for a refusal);
    `calibration`: the short answer's confidence, and the threshold under which it is not shown."""

    short: ShortWeights = field(default_factory=ShortWeights)
    typed: float = 0.5
    calibration: Calibration = field(default_factory=Calibration)


def _answer_type_bonus(question: str, sentence: str, question_terms: set[str]) -> float:
    """A sentence that holds what the wh-word asks for (a new name, a number, a date) is likelier the answer."""
    q = question.lower()
    names = [n for n in _NAME.findall(sentence) if not terms(n) <= question_terms]
    if re.search(r"\bhow (many|much|long|old|far)\b|\bwhat (percentage|number)\b", q):
        return _TYPE_BONUS if _NUMBER.search(sentence) else 0.0
    if re.search(r"\bwhen\b|\bwhat (year|date|day|month)\b", q):
        return _TYPE_BONUS if _YEAR.search(sentence) else 0.0
    if re.search(r"\b(who|whom|whose|which|where|what)\b", q):
        return _TYPE_BONUS if names else 0.0
    return 0.0


def already_said(question: str, history: list[tuple[str, str]]) -> set[str]:
    """A follow-up asks for something new: the words of the turn it leans on (its question and short answer) are
    not its answer ("And who led the Hezbollah side?" is not answered by "Ahmed Abdel Hadi" or "Hamas")."""
    if not history or not leans_on_history(question):
        return set()
    earlier, said = history[-1]
    return terms(earlier) | terms(opening_short_answer(said) or "")


@dataclass
class Scored:
    score: float
    evidence: float
    passage_rank: int
    span: tuple[int, int]
    text: str


@dataclass
class Reading:
    """What the passages say about a question before deciding to answer: the short answer (if any), the sentence
    it comes from, the on-topic sentences best first, how well the best covers the question, and whether a phrase
    of the asked type was found (always, for a question that wants an explanation)."""

    short: Candidate | None
    first: Scored | None
    ranked: list[Scored]
    evidence: float
    typed: bool
    found: list[Candidate] = field(default_factory=list)  # every candidate phrase, best first (what tune.py fits)
    confidence: float | None = None  # the probability that `short` is right (None without one)


class ExtractiveAnswerer:
    name = "extractive"

    def __init__(self, min_evidence: float, tuned: Weights | None = None) -> None:
        self.min_evidence = min_evidence
        self.tuned = tuned or Weights()

    def answer(self, question: str, passages: list[Passage], history: list[tuple[str, str]]) -> Draft:
        reading = self.read(question, passages, history)
        if reading.first is None or reading.evidence + self.tuned.typed * reading.typed < self.min_evidence:
            return Draft(NO_ANSWER, refused=True)
        return self.compose(question, passages, reading)

    def warm(self) -> None:
        """Load the tagger now rather than at the first question."""
        pipeline()

    def stream(self, question: str, passages: list[Passage], history: list[tuple[str, str]]) -> Iterator[str | Draft]:
        draft = self.answer(question, passages, history)
        yield draft.text
        yield draft

    def compose(self, question: str, passages: list[Passage], reading: Reading) -> Draft:
        """The short answer and its [n], then the sentences that support it, each with its [n]. A short answer the
        calibration is not confident of is not shown (users read the bold phrase first, and trust it): the answer
        opens with the sentence it came from instead, and the phrase is kept as `short_answer_candidate`."""
        found = reading.short.text if reading.short else None
        shown = found if self.confident(reading) else None
        first = reading.first  # without the phrase, its sentence still opens: it held the answer more often than
        # the best-scored sentence (bench/tune.py: answer_contains 0.630 against 0.601 on realtimeqa, 0.875 / 0.884)
        citations: dict[int, Citation] = {}
        parts = []
        for s in supporting(first, reading.ranked, shown, weights(question), set(subject_terms(question))):
            if s.passage_rank not in citations:
                citations[s.passage_rank] = Citation.of(len(citations) + 1, passages[s.passage_rank], s.span)
            else:  # a second sentence of the same excerpt: its card highlights both
                citations[s.passage_rank].highlights.append(s.span)
            parts.append(f"{defused(s.text)} [{citations[s.passage_rank].n}]")
        if shown:
            parts.insert(0, f"{defused(shown)} [{citations[first.passage_rank].n}].")
        return Draft(" ".join(parts), refused=False, citations=list(citations.values()),
                     short_answer=defused(shown) if shown else None, confidence=reading.confidence,
                     short_answer_candidate=defused(found) if found else None)

    def confident(self, reading: Reading) -> bool:
        """Whether the short answer is likely enough right to be shown."""
        return reading.confidence is not None and reading.confidence >= self.tuned.calibration.threshold

    def read(self, question: str, passages: list[Passage], history: list[tuple[str, str]]) -> Reading:
        """Score the sentences, then look for the short answer in the best few."""
        asked = weights(question)
        keys = key_terms(asked)
        about = {rank for rank, p in enumerate(passages) if on_topic(p.text, keys)}
        ranked = [s for s in self.score(question, passages) if s.passage_rank in about]
        if not ranked:
            return Reading(None, None, [], 0.0, False)
        kind = answer_type(question)
        if kind.explanation:
            return Reading(None, ranked[0], ranked, ranked[0].evidence, True)
        pool = ranked[:_CANDIDATE_SENTENCES]
        best = max(pool[0].score, 1e-9)
        found = candidates(tag([s.text for s in pool]), [s.score / best for s in pool],
                           [passages[s.passage_rank].article.title for s in pool], kind, asked,
                           already_said(question, history), self.tuned.short)
        if not found:
            return Reading(None, ranked[0], ranked, ranked[0].evidence, False)
        first, evidence = pool[found[0].sentence], ranked[0].evidence
        confidence = self.tuned.calibration.confidence(gate_features(
            found, [p.text for p in passages], coverage(asked, terms(first.text)), evidence))
        return Reading(found[0], first, ranked, evidence, True, found, confidence)

    def score(self, question: str, passages: list[Passage]) -> list[Scored]:
        """Every sentence of every passage, best first; `evidence` is how much of the question it covers."""
        asked = weights(question)
        question_terms = set(asked)
        out = []
        for rank, p in enumerate(passages):
            passage_cov = coverage(asked, terms(p.text))
            prior = _RANK_PRIOR * (1 - rank / max(len(passages), 1))
            for start, end in sentences(p.text):
                text = p.text[start:end]
                cov = coverage(asked, terms(text))
                bonus = _answer_type_bonus(question, text, question_terms)
                score = _SENTENCE_COVERAGE * cov + _PASSAGE_COVERAGE * passage_cov + bonus + prior
                evidence = ((1 - _DENSE_EVIDENCE) * max(cov, passage_cov * _PASSAGE_EVIDENCE)
                            + _DENSE_EVIDENCE * p.dense)
                out.append(Scored(score, evidence, rank, (p.char_start + start, p.char_start + end), text))
        return sorted(out, key=lambda s: -s.score)
