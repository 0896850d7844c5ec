"""Follow-up questions lean on the turn before: "And who led the Hezbollah side?" needs the Beirut meeting.

Without an LLM to rewrite the question, the retrieval query carries the earlier question's key words along
when the new one is short or opens like a continuation.
"""

from __future__ import annotations

import re

from assistant.terms import terms

_LEANS = re.compile(r"^(and|but|also|so|what about|how about|and what|then)\b|\b(he|she|they|it|him|her|them|"
                    r"his|their|its|that|those|this|these|the same|the other)\b", re.I)


def leans_on_history(question: str) -> bool:
    return bool(_LEANS.search(question.strip())) or len(terms(question)) <= 2


def retrieval_query(question: str, history: list[tuple[str, str]]) -> str:
    """The question, plus the last user turn's content words when the question depends on it."""
    if not history or not leans_on_history(question):
        return question
    earlier = history[-1][0]
    carried = [w for w in dict.fromkeys(re.findall(r"\w+", earlier)) if terms(w)]
    return f"{question} {' '.join(carried)}"
