"""Follow-up questions lean on the turn before: "And who led the Hezbollah side?" needs the Beirut meeting.

Without an LLM to rewrite the question, the retrieval query carries the earlier question's key words along, but
only when the new question cannot stand alone. A question that names its own subject ("What did North Korea do
about its nuclear program?") is asked afresh: carrying a Toyota question's words into it would retrieve Toyota.

The question leans on the earlier turn when it has
- an ellipsis: it opens like a continuation ("And ...", "What about Iran?") or is a fragment without a verb;
- an unresolved reference: a third-person pronoun with no agreeing noun or name before it in the question ("Who
  led it?", "When did he resign?"), a demonstrative pronoun ("What happened to those?"), or a determiner that
  points back ("that deal", "the other side") to a noun the question has not mentioned;
- too little of its own: two content words or fewer and no name ("Why?", "Who won the election?").
spaCy's tags and entities (assistant.ner, no parser) are all it reads: one small sentence per question,
tagged only when there is a history to lean on.
"""

from __future__ import annotations

import re
from typing import Any

from assistant.terms import terms

_CONTINUATION = re.compile(r"^(and|but|also|so|then)\b|^(what|how) about\b", re.I)
_PLURAL = {"they", "them", "their", "theirs"}
_ANIMATE = {"he", "she", "him", "her", "his", "hers"}
_PERSONAL = _PLURAL | _ANIMATE | {"it", "its"}
_OBJECT = {"him", "them"}  # "her" and "it" are objects when a verb or preposition stands just before them
_DEMONSTRATIVE = {"this", "that", "these", "those"}
_POINTERS = _PERSONAL | _DEMONSTRATIVE | {"same", "other"}
# Entity labels that name a subject a question can be about; dates and amounts do not.
_NAMES = {"PERSON", "NORP", "FAC", "ORG", "GPE", "LOC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW", "LANGUAGE"}
_COLLECTIVE = {"NORP", "ORG", "GPE"}  # "Toyota ... their cars": a company or country can be "they"
_CLAUSE_TAGS = {"WDT", "WRB", "CC", ","}
_CLAUSE_WORDS = {"after", "before", "because", "since", "while", "until", "if", "that", "although", "once"}
_SHORT = 2  # content words


def leans_on_history(question: str) -> bool:
    """Whether the question needs the earlier turn to be understood: an ellipsis, a reference it does not resolve
    itself, or a question too short to name anything. A question with its own subject stands alone."""
    text = question.strip()
    if not text or _CONTINUATION.search(text):
        return True
    from assistant.ner import tag  # spaCy loads on first use, only for questions with a history

    doc = tag([text])[0]
    if not any(t.pos_ in ("VERB", "AUX") for t in doc):
        return True  # a fragment: "The Hezbollah side?", "Iran?", "Why?"
    if len(terms(text)) <= _SHORT and not _names_something(doc):
        return True
    return any(_unresolved(doc, i) for i, t in enumerate(doc) if t.lower_ in _POINTERS)


def _names_something(doc: Any) -> bool:
    """A proper noun or a named entity: the question says what it is about."""
    return any(t.pos_ == "PROPN" or t.ent_type_ in _NAMES for t in doc)


def _unresolved(doc: Any, i: int) -> bool:
    """Whether the pointing word at `i` refers outside the question."""
    token = doc[i]
    word = token.lower_
    if word in _PERSONAL and token.tag_ in ("PRP", "PRP$"):
        return not _antecedent(doc, i)
    if token.ent_type_ in ("DATE", "TIME"):
        return False  # "this year", "that week": the calendar, not the conversation
    if word in _DEMONSTRATIVE and token.tag_ == "DT" or word in ("same", "other") and i and doc[i - 1].lower_ == "the":
        head = next((t for t in doc[i + 1 : i + 3] if t.pos_ in ("NOUN", "PROPN")), None)
        # "that deal" is resolved by an earlier "deal" in the question; a bare "those" or "the same" never is
        return head is None or not any(terms(head.text) & terms(t.text) for t in doc[:i])
    return False


def _antecedent(doc: Any, i: int) -> bool:
    """Whether a noun or name before the pronoun at `i` agrees with it in number and animacy. A non-possessive
    pronoun cannot refer to its own clause's subject ("Did the president sign it?" means something else), so an
    object pronoun needs a clause boundary (a comma, "when", "after", "and" ...) between it and the antecedent."""
    pronoun = doc[i]
    word = pronoun.lower_
    plural = word in _PLURAL
    is_object = word in _OBJECT or (word in ("it", "her") and pronoun.tag_ == "PRP" and i
                                    and doc[i - 1].pos_ in ("VERB", "ADP"))
    for j in range(i - 1, -1, -1):
        t = doc[j]
        if is_object and (t.tag_ in _CLAUSE_TAGS or t.lower_ in _CLAUSE_WORDS):
            is_object = False  # the antecedent may stand in the earlier clause
        if is_object or t.ent_type_ in ("DATE", "TIME", "CARDINAL", "MONEY", "PERCENT", "QUANTITY", "ORDINAL"):
            continue
        if _agrees(t, word, plural):
            return True
    return word == "it" and pronoun.tag_ == "PRP" and _names_something(doc[i + 1 :])  # "Is it true that ..."


def _agrees(t: Any, word: str, plural: bool) -> bool:
    """Number by the tag (NNS is plural; a company or country can be "they"); animacy by the entity label
    (a person is not "it"; a country is not "he")."""
    if t.pos_ not in ("NOUN", "PROPN"):
        return False
    if plural:
        return t.tag_ in ("NNS", "NNPS") or t.ent_type_ in _COLLECTIVE
    if t.tag_ not in ("NN", "NNP"):
        return False
    if word in _ANIMATE:
        return t.ent_type_ in ("", "PERSON")
    return t.ent_type_ != "PERSON"


def retrieval_query(question: str, history: list[tuple[str, str]]) -> str:
    """The question, plus the last user turn's content words when the question depends on it."""
    if not history or not leans_on_history(question):
        return question
    earlier = history[-1][0]
    carried = [w for w in dict.fromkeys(re.findall(r"\w+", earlier)) if terms(w)]
    return f"{question} {' '.join(carried)}"
