"""What kind of phrase a question asks for, read from its wh-word (and the noun after which/what).

who → a person or organisation, where → a place, when → a date, how many/much → a number or amount, which/what +
noun → an entity of that noun's kind (or a noun phrase), why and how-did → an explanation: no short answer.
Quiz forms: "Which of these / the following X" is typed by X; "True or false: …" is answered TRUE or FALSE, which
no phrase of the text says (no short answer rather than a wrong fragment); a statement ending in ":" is a
fill-in, asked like "what".

The parse also says where the answer stands: the wh-word is the subject or object of a verb, or the object of a
preposition attached to one; the answer is likely the same in its sentence ("Who opened the bridge?" → the
subject of "open").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from assistant.ner import tag

_NUMBERS = ("CARDINAL", "MONEY", "QUANTITY", "PERCENT")
_ENTITIES = ("PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW", "LANGUAGE")
_PERSON = ("PERSON", "ORG", "NORP", "GPE")
_PLACE = ("GPE", "LOC", "FAC", "ORG")
_DATE = ("DATE", "TIME")
# "how many days" is answered by "63 days", which spaCy tags DATE
_HOW = {"many": ("CARDINAL", "QUANTITY", "MONEY", "PERCENT", "DATE", "TIME"),
        "much": ("MONEY", "QUANTITY", "PERCENT", "CARDINAL"),
        "long": ("DATE", "TIME", "QUANTITY", "CARDINAL"), "old": ("DATE", "CARDINAL", "QUANTITY"),
        "often": ("DATE", "TIME", "CARDINAL")}
# the noun after which/what, and the entity labels that name one
_GROUPS: tuple[tuple[tuple[str, ...], str], ...] = (
    (_DATE,
     "year date day month decade century time season week era period birthday anniversary"),
    (("PERCENT", "CARDINAL"),
     "percentage percent proportion share rate"),
    (_NUMBERS,
     "number amount sum price cost fee salary budget fine value population total"),
    (_PLACE,
     "country nation state city town capital village county province region continent island planet "
     "place location area district territory border sea river lake mountain street"),
    (("ORG", "GPE", "NORP"),
     "company firm business team organization organisation group party agency network station "
     "channel university college school newspaper magazine band club airline brand retailer league "
     "bank court union committee government ministry department charity studio label publisher "
     "manufacturer chain outlet carrier automaker startup institution"),
    (("PERSON",),
     "person man woman actor actress singer rapper president leader player coach author writer "
     "politician candidate senator governor minister king queen prince princess ceo founder owner "
     "judge officer director artist star athlete pope chancellor mayor speaker host winner "
     "journalist celebrity musician official"),
    (("LANGUAGE", "NORP"),
     "language nationality religion ethnicity"),
    (("EVENT", "ORG", "WORK_OF_ART"),
     "event war battle storm hurricane tournament championship festival game competition"),
    (("WORK_OF_ART", "PRODUCT", "ORG"),
     "film movie book song album show series novel play poem painting musical"),
    (("PRODUCT", "ORG"),
     "product device car phone vehicle ship rocket spacecraft aircraft drug vaccine app"),
    (("LAW", "EVENT"),
     "law act bill treaty agreement"),
)
_NOUNS = {noun: labels for labels, nouns in _GROUPS for noun in nouns.split()}
_VAGUE = {"type", "kind", "sort", "name", "form", "brand", "make"}  # "what type of car": the noun is "car"
_BE = {"is", "was", "are", "were", "'s"}
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")
_WH = re.compile(r"\b(who|whom|whose|where|when|why|how|which|what)\b", re.I)
# "What caused / led to / prompted X?": a cause is a clause, not a phrase: explained, like why
_QUIZ_OF = re.compile(r"\b(which|what)\s+of\s+(?:these|those|the\s+following)\b", re.I)  # "Which of these firms"
_TRUE_FALSE = re.compile(r"^\s*(?:true\s+or\s+false|t\s*/\s*f)\b", re.I)
_SUBJECT, _OBJECT = ("nsubj", "csubj"), ("dobj", "nsubjpass")  # "What was signed?" asks for what "sign" acts on
# the prepositions whose object "where" and "when" stand for (space-separated, as `AnswerType.prep`)
_ADVERB_PREPS = {"where": "in at near inside outside", "when": "in on at during since"}
_CAUSE = re.compile(r"^\s*what\s+(?:caused|causes|led\s+to|leads\s+to|prompted|triggered|is\s+behind|was\s+behind)\b",
                    re.I)


@dataclass(frozen=True)
class AnswerType:
    """`labels`: spaCy entity labels that answer, best first; `phrases`: noun phrases may answer too;
    `noun`: the noun after which/what, if any. An explanation (no labels, no phrases) has no short answer.
    Where the parse places the wh-word: `role` ("subject" or "object") of the verb `verb` (a lemma), or the object
    of the preposition `prep` (or of one of them, space-separated, for "where" and "when") attached to `verb`."""

    kind: str
    labels: tuple[str, ...] = ()
    phrases: bool = False
    noun: str | None = None
    role: str | None = None
    verb: str | None = None
    prep: str | None = None

    @property
    def explanation(self) -> bool:
        return not self.labels and not self.phrases


def _asked(question: str) -> str:
    """The sentence that asks: a news quiz often opens with a statement ("X resigned on Thursday. Who …?")."""
    parts = [p for p in _SENTENCE_END.split(question.strip()) if p.strip()]
    return next((p for p in reversed(parts) if "?" in p or _WH.search(p)), parts[-1] if parts else question)


def _wh_word(asked: str) -> re.Match | None:
    """The wh-word that asks: not one opening a relative clause (", which is being held where?"), and one among
    the last words when the question ends on it ("… is running for how long?")."""
    found = [m for m in _WH.finditer(asked) if not asked[: m.start()].rstrip().endswith(",")] or list(
        _WH.finditer(asked))
    last = [m for m in found if len(asked[m.end() :].split()) <= 2]
    return last[-1] if last else found[0] if found else None


def _noun_after(words: list[tuple[str, str]], at: int) -> str | None:
    """The head of the noun run after the wh-word at `at` ("which TV station" → "station")."""
    noun = None
    for i, (word, pos) in enumerate(words[at + 1 :], at + 1):
        if pos in ("NOUN", "PROPN"):
            noun = word
        elif pos == "ADJ" and noun is None:
            continue
        elif word == "of" and noun in _VAGUE:
            return _noun_after(words, i)
        else:
            break
    return noun


def _typed_noun(noun: str | None) -> AnswerType:
    """which/what + noun: an entity of the noun's kind, or any entity or noun phrase for a noun we cannot type."""
    if noun:  # the singular we know it by ("companies" → "company")
        noun = next((n for n in (noun, noun.rstrip("s"), noun[:-3] + "y") if n in _NOUNS), noun)
    labels = _NOUNS.get(noun.rstrip("s")) if noun else None
    if labels:
        kind = {_DATE: "date", _PLACE: "place", ("PERSON",): "person"}.get(labels, "number" if labels[-1] in _NUMBERS
                                                                          else "entity")
        return AnswerType(kind, labels, noun=noun)
    return AnswerType("thing", _ENTITIES, phrases=True, noun=noun)


def anchor(doc: Any) -> dict[str, str | None]:
    """Where the wh-word stands in the question's parse: the subject or object of which verb ("Who opened …" →
    subject of "open"), or the object of which preposition on which verb ("In which city did it take place" → "in"
    on "take"); "where" and "when" stand for such an object ("Where did it take place" → "in" or "at" on "take").
    A copula says nothing ("Who is …"): its subject and object are the same thing."""
    wh = next((t for t in doc if t.lower_ in ("who", "whom", "whose", "what", "which", "where", "when")), None)
    if wh is None:
        return {}
    if wh.lower_ in _ADVERB_PREPS:
        return _verb({"prep": _ADVERB_PREPS[wh.lower_]}, wh.head) if wh.dep_ == "advmod" else {}
    n = wh.head if wh.dep_ in ("det", "poss") else wh
    head = n.head
    if n.dep_ == "pobj" and head.dep_ == "agent":  # "by whom was it opened": the doer
        return _verb({"role": "subject"}, head.head)
    if n.dep_ == "pobj":
        return _verb({"prep": head.lower_}, head.head)
    role = "subject" if n.dep_ in _SUBJECT else "object" if n.dep_ in _OBJECT else None
    return _verb({"role": role}, head) if role else {}


def _verb(found: dict[str, str | None], verb: Any) -> dict[str, str | None]:
    """`found` with the verb's lemma, or nothing where the head is not a content verb."""
    if verb.pos_ != "VERB" or verb.lemma_.lower() == "be":
        return {}
    return {**found, "verb": verb.lemma_.lower()}


def answer_type(question: str) -> AnswerType:
    """The kind of phrase the question asks for, and where its wh-word stands in the question's parse."""
    if _TRUE_FALSE.match(question):
        return AnswerType("verdict")  # TRUE or FALSE: nothing in the text to extract
    kind = _kind(question)
    if kind.explanation:
        return kind
    return replace(kind, **anchor(tag([_QUIZ_OF.sub(r"\1", _asked(question))])[0]))


def _kind(question: str) -> AnswerType:
    """The kind of phrase from the wh-word and the noun after which/what."""
    asked = _QUIZ_OF.sub(r"\1", _asked(question))
    match = _wh_word(asked)
    if not match or asked.rstrip().endswith(":"):  # a fill-in statement ("The CEO who resigned was:") asks "what"
        return AnswerType("thing", _ENTITIES, phrases=True)
    wh, rest = match.group(1).lower(), asked[match.end() :].lower().split()
    nxt = rest[0].strip("?,.") if rest else ""
    if wh == "why" or _CAUSE.match(asked):
        return AnswerType("explanation")
    if wh == "how":
        return AnswerType("number", _HOW[nxt]) if nxt in _HOW else (
            AnswerType("number", ("QUANTITY", "CARDINAL")) if nxt in ("far", "big", "large", "tall", "high", "deep",
                                                                      "fast", "heavy") else AnswerType("explanation"))
    if wh in ("who", "whom", "whose"):
        return AnswerType("person", _PERSON)
    if wh == "where":
        return AnswerType("place", _PLACE)
    if wh == "when":
        return AnswerType("date", _DATE)
    words = [(t.lower_, t.pos_) for t in tag([asked])[0]]
    at = next((i for i, (w, _) in enumerate(words) if w == wh), None)
    noun = _noun_after(words, at) if at is not None else None
    if noun is None and at is not None and words[at + 1 : at + 2] and words[at + 1][0] in _BE:
        # "What was Hero of Alexandria's nationality?": the first noun of a kind we know; not "What caused …
        # in the 19th century?", whose subject is the answer
        after = words[at + 1 :]
        noun = next((w for (w, pos), (nxt, _) in zip(after, [*after[1:], ("", "")], strict=True)
                     if pos == "NOUN" and w.rstrip("s") in _NOUNS and nxt != "-"), None)  # not "man-made"
    return _typed_noun(noun)
