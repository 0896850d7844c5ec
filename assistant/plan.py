"""The question plan: what kind of question this is and how to answer it, read once, before retrieval.

A researcher asks for different things: a phrase ("When was Saddam Hussein executed?"), what happened ("What
happened with Toyota's recalls?"), how something unfolded over time ("How did coverage of the recession change
over time?"), or why. Each kind wants its own retrieval and its own answer, so the plan says which, with the time
frame, the retrieval query and whether the question leans on the conversation. Its `subject` terms are what an
article must mention to be about the question: the test that keeps unrelated sentences and articles out of the
answer and the coverage chart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Literal

from assistant.followup import retrieval_query
from assistant.ner import tag
from assistant.qtype import answer_type
from assistant.terms import terms, weights
from assistant.timeframe import timeframe
from vectorstore.filters import Filters

Kind = Literal["fact", "event", "chronology", "explanation"]

_CHRONOLOGY = re.compile(
    r"\b(?:how\s+(?:did|has|have|do|does|was|were)\b.*\b(?:unfold|develop|evolve|change|progress|grow|shift|"
    r"escalate|play out|turn out)\w*|over\s+(?:time|the\s+(?:years|months|weeks|decades|following\s+\w+))|"
    r"timeline\s+of|chronology\s+of|trace\b|history\s+of|(?:in\s+the\s+)?following\s+(?:days|weeks|months|years)|"
    r"step\s+by\s+step|sequence\s+of\s+events)", re.I)
_EVENT = re.compile(
    r"^\s*(?:so\s+|and\s+)?(?:what\s+(?:happened|has\s+happened|went\s+on|is\s+happening|was\s+the\s+outcome)\b|"
    r"what\s+(?:did|does|has|have|do)\b.+\b(?:do|done|doing)\b(?:\s+(?:about|with|after|to|over|against|in))?|"
    r"what\s+(?:is|was)\s+the\s+(?:latest|news|story)\b|tell\s+me\s+about\b|summari[sz]e\b)", re.I)
_ABOUT = {"NOUN", "PROPN", "NUM", "ADJ"}  # the parts of speech a subject is made of
# Words that say how to answer, not what the answer is about: an article need not mention them.
_FRAMING = terms("how did does has have coverage change changed changes unfold unfolded develop developed evolve "
                 "evolved progress time over timeline chronology trace history happen happened following weeks "
                 "months years days what do done doing about latest news story tell summarise summarize period "
                 "between from early late mid during year decade")


@dataclass(frozen=True)
class QuestionPlan:
    """One question, read: its kind, the filters its own dates add, the query retrieval runs, whether it leans
    on the turn before, and the subject terms an article must share to be about it."""

    question: str
    kind: Kind
    query: str
    filters: Filters
    k: int
    follows_up: bool = False
    subject: dict[str, float] = field(default_factory=dict)

    @property
    def topic(self) -> str:
        """The subject in the question's own words ("Toyota recalls"): what a dated answer searches for."""
        return " ".join(w for w in re.findall(r"\w+", self.query) if terms(w) & self.subject.keys())

    def about(self, text: str) -> bool:
        """Whether a text (an article's title and passage) is about the question's subject: it names every name
        of the subject (a question naming Toyota is not answered from an article without it) and holds at least
        half (by weight) of its other words ("Toyota's recalls" is not Toyota's profits)."""
        found = terms(text)
        names = {t for t, w in self.subject.items() if w > 1}
        others = {t: w for t, w in self.subject.items() if t not in names}
        share = sum(w for t, w in others.items() if t in found) / sum(others.values()) if others else 1.0
        return names <= found and share >= 0.5


def question_kind(question: str) -> Kind:
    """fact, event, chronology or explanation, from the form of the question (the sentence that asks)."""
    if _CHRONOLOGY.search(question):
        return "chronology"
    if _EVENT.search(question):
        return "event"
    if answer_type(question).explanation:
        return "explanation"
    return "fact"


def subject_terms(question: str, when: str = "") -> dict[str, float]:
    """What the question is about: its nouns, names and numbers (weighted as retrieval weighs them), not its verbs
    or the words that frame it ("how did coverage of X change over time"): "What caused the fire?" is about a
    fire, not about anything "caused". `when`: the question's time phrase ("in May 2022" is when, not what), left
    out after tagging the question whole (the tags the question's kind was read with, not a second tagging)."""
    start = question.find(when) if when else -1
    said = range(start, start + len(when)) if start >= 0 else range(0)
    nouns = {w for token in tag([question])[0] if token.pos_ in _ABOUT and token.idx not in said
             for w in terms(token.text)}
    rest = question[: said.start] + " " + question[said.stop :] if said else question
    return {t: w for t, w in weights(rest).items()
            if t in nouns and t not in _FRAMING and not t.isdigit()}  # a year is the time frame, filtered apart


def _set_by_caller(filters: Filters) -> tuple[str, ...]:
    """The filters the asker set (the UI's Since/Until and sources, the CLI's options, an eval line's as-of), in
    the words `filters_applied` records them with: each turn says what shaped it."""
    notes = [f"since {filters.since}" if filters.since else "", f"until {filters.until}" if filters.until else "",
             f"as of {filters.as_of}" if filters.as_of else "",
             f"sources: {', '.join(filters.sources)}" if filters.sources else "",
             "reader comments included" if filters.include_comments else ""]
    return tuple(note for note in notes if note)


def plan(question: str, history: list[tuple[str, str]], filters: Filters, k: int) -> QuestionPlan:
    """Read the question: its kind, its own dates as filters, and the retrieval query the conversation shapes."""
    filters = replace(filters, applied=(*_set_by_caller(filters), *filters.applied))
    frame = timeframe(question, filters.as_of)
    if frame:
        since, until, phrase = frame
        filters = filters.narrowed(since, until, f"{phrase!r}: {since or '…'} to {until or '…'}")
    query = retrieval_query(question, history)
    follows = query != question  # the earlier turn's words were carried: the question leans on it
    subject = subject_terms(query, frame[2] if frame else "")
    return QuestionPlan(question, question_kind(question), query, filters, k, follows, subject)
