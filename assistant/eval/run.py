"""Running an eval: each question through the assistant, scored, one JSON line each as it goes, so an
interrupted run resumes where it stopped; then metrics.json, ragas.jsonl and the reports."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.cite import MARKER
from assistant.eval.metrics import (
    chronology_checks,
    contains,
    context_hit_rank,
    f1,
    short_scores,
    source_rank,
    summarize,
)
from assistant.eval.questions import Question, read_questions
from assistant.eval.report import write_reports
from assistant.eval.results import read_results


def _retrieved(answer: Any) -> list[dict]:
    """Cited and related passages merged back into retrieval-score order (cited first among equals)."""
    return [c.to_json() for c in sorted(answer.citations + answer.related, key=lambda c: -c.score)]


def _scores(answer: Any, q: Question, retrieved: list[dict]) -> dict[str, Any]:
    """An answerable question's answer and retrieval scores; a refusal scores 0."""
    short = None if answer.refused else getattr(answer, "short_answer", None)
    return {
        "answer_contains": not answer.refused and contains(answer.answer, q.answers),
        "f1": 0.0 if answer.refused else round(f1(answer.answer, q.answers), 4),
        **short_scores(short, q.answers),
        "context_rank": context_hit_rank([r["excerpt"] for r in retrieved], q.answers),
        "source_rank": source_rank(retrieved, q.sources) if q.sources else None,
    }


def evaluate_one(assistant: Any, q: Question, k: int) -> dict[str, Any]:
    """Ask one question and score it; an exception becomes the record's `error` so the run goes on."""
    record: dict[str, Any] = {"id": q.id, "question": q.question, "answers": q.answers, "sources": q.sources,
                              "filters": q.filters, "answer": "", "short_answer": None, "refused": False,
                              "short_answer_candidate": None, "confidence": None, "citations": [], "retrieved": [],
                              "kind": None, "expected_kind": q.kind, "entries": [], "error": None}
    started = time.perf_counter()
    try:
        answer = assistant.ask(q.question, filters=q.filters, k=k)
    except Exception as exc:  # noqa: BLE001 - one bad question must not stop a long run
        record["error"] = f"{type(exc).__name__}: {exc}"
        record["latency_ms"] = round((time.perf_counter() - started) * 1000, 1)
        return record
    retrieved = _retrieved(answer)
    record.update(
        answer=answer.answer, short_answer=getattr(answer, "short_answer", None), refused=answer.refused,
        # the phrase found and how sure of it the answerer is, shown or not: the report's precision-coverage curve
        short_answer_candidate=getattr(answer, "short_answer_candidate", None),
        confidence=getattr(answer, "confidence", None),
        citations=[c.to_json() for c in answer.citations],
        retrieved=retrieved, markers=len(MARKER.findall(answer.answer)), invalid_markers=answer.invalid_markers,
        latency_ms=answer.timings_ms.get("total", round((time.perf_counter() - started) * 1000, 1)),
    )
    record.update(kind=getattr(answer, "kind", None), entries=getattr(answer, "entries", []))
    if q.kind == "chronology":
        record.update(chronology_checks(record["entries"], q.filters.get("as_of") or q.filters.get("date")))
    elif q.answers:
        record.update(_scores(answer, q, retrieved))
    return record


def ragas_rows(records: list[dict]) -> Iterator[dict]:
    """Records in the field names ragas's EvaluationDataset reads."""
    for r in records:
        yield {"user_input": r["question"], "retrieved_contexts": [x["excerpt"] for x in r.get("retrieved", [])],
               "response": r.get("answer", ""), "reference": r["answers"][0] if r["answers"] else ""}


@dataclass
class RunSummary:
    done: int
    skipped: int
    malformed: int
    metrics: dict[str, Any]

    def __str__(self) -> str:
        return (f"{self.done} questions run, {self.skipped} already done (skipped), "
                f"{self.malformed} malformed lines skipped")


def _ask_all(assistant: Any, todo: list[Question], results: Path, k: int, progress: bool) -> None:
    from tqdm import tqdm

    with results.open("a", encoding="utf-8") as sink:
        for q in tqdm(todo, unit="q", desc="eval", disable=not progress, file=sys.stderr):
            sink.write(json.dumps(evaluate_one(assistant, q, k), ensure_ascii=False) + "\n")
            sink.flush()


def run(assistant: Any, questions_path: Path, out: Path, k: int = 5, fresh: bool = False, progress: bool = True,
        warn: Callable[[str], None] | None = None) -> RunSummary:
    """Evaluate a question file into OUT: results.jsonl (appended as it goes), metrics.json, ragas.jsonl, reports."""
    warnings: list[str] = []
    warn = warn or (lambda line: print(line, file=sys.stderr))
    out.mkdir(parents=True, exist_ok=True)
    results = out / "results.jsonl"
    if fresh:
        results.write_text("")
    done_ids = {r["id"] for r in read_results(results)}
    questions = list(read_questions(questions_path, lambda line: (warnings.append(line), warn(line))))
    todo = [q for q in questions if q.id not in done_ids]
    _ask_all(assistant, todo, results, k, progress)
    records = read_results(results)
    metrics = summarize(records, k)
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    with (out / "ragas.jsonl").open("w", encoding="utf-8") as sink:
        for row in ragas_rows(records):
            sink.write(json.dumps(row, ensure_ascii=False) + "\n")
    write_reports(out, records, metrics, k)
    return RunSummary(len(todo), len(questions) - len(todo), len(warnings), metrics)
