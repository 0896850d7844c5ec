"""Which sentences stand behind a short answer: no padding.

The first is the one the short answer comes from; a later one is kept only when it adds support — it names the
short answer, or it covers question words the ones before it do not — never from an article that shares no
key word with the question (the BSkyB sentence under a question about NASA's lunar lander), and never one that does
not name what the question is about (the Dujail raze under a question about a library fire's books).
"""

from __future__ import annotations

from typing import Protocol

from assistant.terms import terms

MAX_SENTENCES = 3
RELATIVE = 0.6  # a later sentence scores at least 60% of the best one


class Sentence(Protocol):
    score: float
    text: str


def key_terms(weights: dict[str, float]) -> set[str]:
    """What an article must mention to be about the question: its names and numbers, or failing those, any of its
    content words."""
    names = {t for t, w in weights.items() if w > 1}
    return names or set(weights)


def on_topic(text: str, keys: set[str]) -> bool:
    return bool(terms(text) & keys) if keys else True


def supporting(first: Sentence, ranked: list[Sentence], short: str | None, weights: dict[str, float],
               subject: set[str] | None = None) -> list:
    """`first`, then the ranked sentences that add support, at most three in all; with `subject` (the nouns and
    names the question is about, assistant/plan.py), only sentences that name it: a sentence sharing a verb
    ("destroyed") with the question is not about its books."""
    picked = [first]
    covered = terms(first.text) & weights.keys()
    floor = RELATIVE * max(first.score, ranked[0].score if ranked else 0.0)
    for s in ranked:
        if len(picked) == MAX_SENTENCES or s.score < floor:
            break
        if any(s.text == p.text for p in picked) or (subject and not terms(s.text) & subject):
            continue
        new = (terms(s.text) & weights.keys()) - covered
        if new or (short and short.lower() in s.text.lower()):
            picked.append(s)
            covered |= new
    return picked
