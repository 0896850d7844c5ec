"""The content words of a question or passage, and how much of a question a text covers.

Shared by retrieval (a lexical precision signal when reranking), the answerers (sentence scoring, grounding) and
follow-up detection, so all of them agree on what a question is about.
"""

from __future__ import annotations

import re
from functools import lru_cache

from bm25s.stopwords import STOPWORDS_EN

_WORD = re.compile(r"\w+")
_STOP = set(STOPWORDS_EN) | {"which", "what", "who", "whom", "whose", "when", "where", "why", "how", "did", "does",
                             "do", "many", "much", "according", "name", "called", "new", "also"}


def _norm(word: str) -> str:
    word = word.lower()
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


@lru_cache(maxsize=1 << 16)
def terms(text: str) -> frozenset[str]:
    """The text's content words, lower-cased, a plural's s dropped. Cached: the answerer asks it of every sentence
    and every word of the sentences it reads, a few hundred times a question, mostly the same words."""
    return frozenset(_norm(w) for w in set(_WORD.findall(text.lower())) - _STOP)


def weights(question: str) -> dict[str, float]:
    """Names and numbers in the question count double: they are what an answer must be about."""
    out = {t: 1.0 for t in terms(question)}
    for w in _WORD.findall(question[1:]):
        if (w[0].isupper() or w[0].isdigit()) and _norm(w) in out:
            out[_norm(w)] = 2.0
    return out


def coverage(weights: dict[str, float], words: set[str]) -> float:
    """The weighted share of the question's terms found in `words`."""
    total = sum(weights.values())
    return sum(w for t, w in weights.items() if t in words) / total if total else 0.0
