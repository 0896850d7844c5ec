"""Thumbs up/down on answers, appended to a JSONL file that `archive-chat eval` reads as a question set.

Researchers build their own test set as they work: a rated answer is a question with a judged reference.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

_LOCK = threading.Lock()


def record(path: Path, answer: dict, rating: str, note: str = "") -> dict:
    """Append one rating ("up" or "down") of an answer (as `Answer.to_json()` gives it); returns the line."""
    if rating not in ("up", "down"):
        raise ValueError(f"rating must be 'up' or 'down', not {rating!r}")
    line = {
        "question": answer["question"], "answer": answer["answer"], "refused": answer["refused"],
        "citations": answer["citations"],  # each as Citation.to_json wrote it: a rated answer's cards, whole
        "sources": [c["url"] or c["article_id"] for c in answer["citations"]],
        "rating": rating, "note": note.strip(), "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with _LOCK, path.open("a", encoding="utf-8") as out:
        out.write(json.dumps(line, ensure_ascii=False) + "\n")
    return line
