"""Where a question's CPU goes, stage by stage: each stage's own CPU time (a stage inside another is not counted
twice), by wrapping the functions that do each job for the length of a run. Nothing in the product is changed.

    from stages import Stages
    with Stages(assistant) as stages:
        for q in questions: assistant.ask(...)
    print(stages.table())
"""

from __future__ import annotations

import functools
import time
from collections import defaultdict
from typing import Any

# stage → (module, owner, attribute) of what does that job; an owner None is a module-level function
_TARGETS = {
    "plan (spaCy reads the question)": ("assistant.ask", "Assistant", "plan"),
    "embed the question": ("vectorstore.embed", "Embedder", "embed_query"),
    "BM25 version check": ("vectorstore.bm25_cache", "Bm25Cache", "current"),
    "filter mask": ("vectorstore.bm25", "Bm25Index", "mask"),
    "dense search (Chroma)": ("vectorstore.reading", None, "nearest_allowed"),
    "BM25 search": ("vectorstore.bm25", "Bm25Index", "search"),
    "passages": ("vectorstore.reading", "Reader", "passages"),
    "windows (section texts)": ("vectorstore.reading", "Reader", "section_texts"),
    "answer (extractive)": ("assistant.answer.extractive", "ExtractiveAnswerer", "answer"),
    "dated answer": ("assistant.ask", None, "compose"),
    "coverage chart": ("assistant.ask", None, "covering_articles"),
}


REST = "the rest (Python glue, ranking)"


class Stages:
    """A context in which each stage's exclusive CPU time is summed over calls (the process clock: a stage's
    helper threads, ONNX's and Chroma's, count as its own)."""

    def __init__(self) -> None:
        self.cpu: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.questions = 0
        self._stack: list[list] = []  # [stage, started, inner] of the stages running
        self._undo: list[tuple[Any, str, Any]] = []

    def __enter__(self) -> Stages:
        import importlib

        for stage, (module, owner, name) in _TARGETS.items():
            target = importlib.import_module(module)
            holder = getattr(target, owner) if owner else target
            original = holder.__dict__[name] if owner else getattr(target, name)
            self._undo.append((holder, name, original))
            setattr(holder, name, self._timed(stage, original))
        return self

    def __exit__(self, *exc: object) -> None:
        for holder, name, original in reversed(self._undo):
            setattr(holder, name, original)

    def _timed(self, stage: str, function: Any) -> Any:
        @functools.wraps(function)
        def run(*args: Any, **kwargs: Any) -> Any:
            frame = [stage, time.process_time(), 0.0]
            self._stack.append(frame)
            try:
                return function(*args, **kwargs)
            finally:
                self._stack.pop()
                spent = time.process_time() - frame[1]
                self.cpu[stage] += spent - frame[2]
                self.calls[stage] += 1
                if self._stack:
                    self._stack[-1][2] += spent
        return run

    def per_question(self) -> dict[str, float]:
        """Mean CPU ms per question of each stage that ran."""
        n = max(self.questions, 1)
        return {stage: self.cpu[stage] * 1000 / n for stage in _TARGETS if self.calls[stage]}

    def table(self, total_cpu_ms: float) -> str:
        """Mean CPU ms per question per stage, and what no stage accounts for."""
        rows = list(self.per_question().items())
        rows.append((REST, total_cpu_ms - sum(ms for _, ms in rows)))
        rows.append(("ask, total", total_cpu_ms))
        width = max(len(s) for s, _ in rows)
        return "\n".join([f"{'stage'.ljust(width)}  CPU ms/question", f"{'-' * width}  ---------------",
                          *(f"{s.ljust(width)}  {ms:15.1f}" for s, ms in rows)])


def breakdown(assistant: Any, questions: list) -> tuple[Stages, float]:
    """Ask each question once inside Stages, as if never asked before; returns them and the mean CPU ms of a
    whole question."""
    from assistant.ner import forget

    forget()
    total = 0.0
    with Stages() as stages:
        for q in questions:
            started = time.process_time()
            assistant.ask(q.question, filters=q.filters)
            total += time.process_time() - started
            stages.questions += 1
    return stages, total * 1000 / max(len(questions), 1)


if __name__ == "__main__":
    import argparse
    import os
    import sys
    from pathlib import Path

    os.environ.update(HF_HUB_OFFLINE="1", ANONYMIZED_TELEMETRY="False")
    root = Path(__file__).resolve().parent.parent
    sys.path.insert(0, str(root))
    parser = argparse.ArgumentParser(description="CPU per question, stage by stage, on one store")
    parser.add_argument("store", type=Path)
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--data", type=Path, default=root / ".." / "shared" / "data")
    args = parser.parse_args()
    from assistant.ask import Assistant
    from assistant.eval.questions import read_questions
    from assistant.settings import Settings
    from vectorstore.store import Archive

    asker = Assistant(Archive(Settings(store=args.store)))
    asker.ask("Which airline is suspending service at JFK?", filters={"date": "2022-10-06"})
    asked = list(read_questions(args.data / "realtimeqa-2022q4" / "questions.jsonl", warn=print))[: args.questions]
    for q in asked[:10]:  # warm: first-use costs (spaCy's lazy parts, masks) are start-up, not a question's
        asker.ask(q.question, filters=q.filters)
    found, mean = breakdown(asker, asked)
    print(found.table(mean))
