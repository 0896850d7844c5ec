"""The offline answerer: the retrieved sentences that best answer the question, each with its [n] marker.

Sentences are scored against the question (its content words, the kind of answer a wh-word asks for), not
copied from the top chunk. Weak evidence — the question's key words are not in any passage — is a refusal.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from assistant.answer import NO_ANSWER, Draft
from assistant.cite import Citation
from assistant.passage import Passage
from assistant.terms import coverage, terms, weights
from vectorstore.sentences import sentences

_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)*")
_NUMBER = re.compile(r"\b\d[\d,.]*\b")
_YEAR = re.compile(r"\b(1[89]|20)\d\d\b|\b(January|February|March|April|May|June|July|August|September|October|"
                   r"November|December)\b")
# Up to three sentences, each at least 60% as good as the best: on the dev sets the answer is in the best
# sentence a third of the time but in the best three over half of the time (bench/quality.py).
_MAX_SENTENCES = 3
_RELATIVE = 0.6


def _answer_type_bonus(question: str, sentence: str, question_terms: set[str]) -> float:
    """A sentence that holds what the wh-word asks for (a new name, a number, a date) is likelier the answer."""
    q = question.lower()
    names = [n for n in _NAME.findall(sentence) if not terms(n) <= question_terms]
    if re.search(r"\bhow (many|much|long|old|far)\b|\bwhat (percentage|number)\b", q):
        return 0.15 if _NUMBER.search(sentence) else 0.0
    if re.search(r"\bwhen\b|\bwhat (year|date|day|month)\b", q):
        return 0.15 if _YEAR.search(sentence) else 0.0
    if re.search(r"\b(who|whom|whose|which|where|what)\b", q):
        return 0.15 if names else 0.0
    return 0.0


@dataclass
class _Scored:
    score: float
    evidence: float
    passage_rank: int
    span: tuple[int, int]
    text: str


class ExtractiveAnswerer:
    name = "extractive"

    def __init__(self, min_evidence: float) -> None:
        self.min_evidence = min_evidence

    def answer(self, question: str, passages: list[Passage], history: list[tuple[str, str]]) -> Draft:
        scored = self.score(question, passages)
        if not scored or scored[0].evidence < self.min_evidence:
            return Draft(NO_ANSWER, refused=True)
        picked: list[_Scored] = []
        for s in scored[:_MAX_SENTENCES * 4]:
            if s.score >= _RELATIVE * scored[0].score and all(s.text != p.text for p in picked):
                picked.append(s)
            if len(picked) == _MAX_SENTENCES:
                break
        citations: dict[int, Citation] = {}
        parts = []
        for s in picked:
            if s.passage_rank not in citations:
                citations[s.passage_rank] = Citation.of(len(citations) + 1, passages[s.passage_rank], s.span)
            else:  # a second sentence of the same excerpt: its card highlights both
                citations[s.passage_rank].highlights.append(s.span)
            parts.append(f"{s.text} [{citations[s.passage_rank].n}]")
        return Draft(" ".join(parts), refused=False, citations=list(citations.values()))

    def stream(self, question: str, passages: list[Passage], history: list[tuple[str, str]]) -> Iterator[str | Draft]:
        draft = self.answer(question, passages, history)
        yield draft.text
        yield draft

    def score(self, question: str, passages: list[Passage]) -> list[_Scored]:
        """Every sentence of every passage, best first; `evidence` is how much of the question it covers."""
        asked = weights(question)
        question_terms = set(asked)
        out = []
        for rank, p in enumerate(passages):
            passage_cov = coverage(asked, terms(p.text))
            prior = 0.2 * (1 - rank / max(len(passages), 1))
            for start, end in sentences(p.text):
                text = p.text[start:end]
                cov = coverage(asked, terms(text))
                bonus = _answer_type_bonus(question, text, question_terms)
                score = 0.6 * cov + 0.3 * passage_cov + bonus + prior
                evidence = 0.5 * max(cov, passage_cov * 0.8) + 0.5 * p.dense
                out.append(_Scored(score, evidence, rank, (p.char_start + start, p.char_start + end), text))
        return sorted(out, key=lambda s: -s.score)
