"""`archive-chat eval`: run a question file through the assistant and score answers, retrieval and refusals.

The metric helpers are pure functions over plain data so they can be unit-tested without a store; the run
writes one JSON line per question as it goes, so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import string
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.cite import MARKER, uncited

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_POSSESSIVE = re.compile(r"(?<=\w)['’]s\b")
_PUNCT = str.maketrans("", "", string.punctuation + "“”‘’–—…")
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
FILTER_KEYS = ("since", "until", "source", "date", "as_of")  # not "sources": those are gold labels

METRIC_KEYS = (
    "questions", "answerable", "unanswerable", "errors", "answer_contains", "f1", "answer_in_context_at_k",
    "context_chars", "source_hit_at_k", "mrr_at_k", "refused_unanswerable", "false_refusal", "citation_valid",
    "latency_p50_ms", "latency_p95_ms",
)


# --- metrics (pure) -------------------------------------------------------------------------------------------

def normalize(text: str) -> str:
    """SQuAD's answer normalisation, so 'The Ahmed Abdel Hadi.' matches 'Ahmed Abdel Hadi', and possessives
    dropped, so 'Brazil’s team' contains 'Brazil'."""
    text = _ARTICLES.sub(" ", _POSSESSIVE.sub("", text.lower()).translate(_PUNCT))
    return " ".join(text.split())


def contains(text: str, answers: list[str]) -> bool:
    """A gold answer occurs in the text, both normalised, on word boundaries."""
    haystack = f" {normalize(text)} "
    return any(f" {normalize(a)} " in haystack for a in answers if normalize(a))


def token_f1(prediction: str, gold: str) -> float:
    """SQuAD's token-overlap F1 between two strings."""
    pred, ref = normalize(prediction).split(), normalize(gold).split()
    common = sum((Counter(pred) & Counter(ref)).values())
    if not pred or not ref or not common:
        return float(pred == ref)
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def f1(answer: str, answers: list[str]) -> float:
    """Best token F1 of any answer sentence against any gold answer: an answer that quotes a whole sentence
    around the fact should not be punished for the sentence's other words more than once."""
    text = MARKER.sub(" ", answer)
    sentences = [s for s in _SENTENCE.split(text) if s.strip()] or [text]
    return max((token_f1(s, g) for s in sentences for g in answers), default=0.0)


def context_hit_rank(excerpts: list[str], answers: list[str]) -> int | None:
    """1-based rank of the first retrieved excerpt holding a gold answer (None if none does)."""
    return next((i + 1 for i, text in enumerate(excerpts) if contains(text, answers)), None)


def source_rank(retrieved: list[dict], sources: list[str]) -> int | None:
    """1-based rank of the first retrieved passage whose url or article id is a labelled source."""
    wanted = set(sources)
    return next((i + 1 for i, r in enumerate(retrieved) if r.get("url") in wanted or r.get("article_id") in wanted),
                None)


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


def outcome(record: dict) -> str:
    """One word for the report's outcome plot."""
    if record.get("error"):
        return "error"
    if record["answers"]:
        if record["refused"]:
            return "false refusal"
        return "correct" if record.get("answer_contains") else "wrong"
    return "refused correctly" if record["refused"] else "answered unanswerable"


def summarize(records: list[dict], k: int) -> dict[str, Any]:
    """metrics.json from the per-question records; answerable metrics average over answerable questions only."""
    answerable = [r for r in records if r["answers"]]
    unanswerable = [r for r in records if not r["answers"]]
    with_sources = [r for r in answerable if r.get("sources")]
    markers = sum(r.get("markers", 0) for r in records)
    invalid = sum(r.get("invalid_markers", 0) for r in records)
    latencies = [r["latency_ms"] for r in records if r.get("latency_ms") is not None and not r.get("error")]
    return {
        "questions": len(records),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "errors": sum(1 for r in records if r.get("error")),
        "k": k,
        "answer_contains": _mean([float(bool(r.get("answer_contains"))) for r in answerable]),
        "f1": _mean([r.get("f1") or 0.0 for r in answerable]),
        "answer_in_context_at_k": _mean([float(r.get("context_rank") is not None) for r in answerable]),
        # how much text the k passages hand the reader: in-context rates compare fairly only next to it
        "context_chars": _mean([float(sum(len(x["excerpt"]) for x in r.get("retrieved", []))) for r in records]),
        "source_hit_at_k": _mean([float(r.get("source_rank") is not None) for r in with_sources]),
        "mrr_at_k": _mean([1 / r["source_rank"] if r.get("source_rank") else 0.0 for r in with_sources]),
        "refused_unanswerable": _mean([float(r["refused"]) for r in unanswerable]),
        "false_refusal": _mean([float(r["refused"]) for r in answerable]),
        "citation_valid": round(1 - invalid / (markers + invalid), 4) if markers + invalid else None,
        "latency_p50_ms": percentile(latencies, 50),
        "latency_p95_ms": percentile(latencies, 95),
    }


# --- reading questions ----------------------------------------------------------------------------------------

@dataclass
class Question:
    id: str
    question: str
    answers: list[str]
    sources: list[str] = field(default_factory=list)
    filters: dict[str, Any] = field(default_factory=dict)


def _question_from(data: Any) -> Question:
    """One eval line, or a chat-UI feedback line ({question, answer, citations, rating}) whose thumbs-up answer
    becomes the reference; raises ValueError with the reason a line cannot be used."""
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    question = data.get("question")
    if not isinstance(question, str) or not question.strip():
        raise ValueError("no 'question' text")
    if "answers" in data:
        answers = data["answers"]
        if not isinstance(answers, list) or not all(isinstance(a, str) for a in answers):
            raise ValueError("'answers' must be a list of strings")
    elif isinstance(data.get("answer"), str):
        if data.get("rating", "up") != "up":
            raise ValueError("feedback not rated 'up' gives no reference answer")
        answers = [re.sub(r"\s+(?=[.,;:!?])", "", uncited(data["answer"])).strip()]
    else:
        raise ValueError("no 'answers' list")
    sources = data.get("sources") or []
    if isinstance(sources, str):
        sources = [sources]
    if not isinstance(sources, list):
        raise ValueError("'sources' must be a list")
    qid = data.get("id") or hashlib.sha1(question.encode()).hexdigest()[:12]
    filters = {key: data[key] for key in FILTER_KEYS if data.get(key)}
    return Question(str(qid), question, answers, [str(s) for s in sources], filters)


def read_questions(path: Path, warn: Callable[[str], None]) -> Iterator[Question]:
    """The usable questions in a JSONL file; each bad line is reported as `PATH:LINE: reason` and skipped."""
    with Path(path).open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                yield _question_from(json.loads(line))
            except ValueError as exc:  # json.JSONDecodeError is a ValueError
                warn(f"{path}:{number}: {exc}")


# --- running --------------------------------------------------------------------------------------------------

def _retrieved(answer: Any) -> list[dict]:
    """Cited and related passages merged back into retrieval-score order (cited first among equals)."""
    passages = sorted(answer.citations + answer.related, key=lambda c: -c.score)
    return [{"article_id": c.article_id, "url": c.url, "title": c.title, "excerpt": c.excerpt} for c in passages]


def evaluate_one(assistant: Any, q: Question, k: int) -> dict[str, Any]:
    """Ask one question and score it; an exception becomes the record's `error` so the run goes on."""
    record: dict[str, Any] = {"id": q.id, "question": q.question, "answers": q.answers, "sources": q.sources,
                              "filters": q.filters, "answer": "", "refused": False, "citations": [],
                              "retrieved": [], "error": None}
    started = time.perf_counter()
    try:
        answer = assistant.ask(q.question, filters=q.filters, k=k)
    except Exception as exc:  # noqa: BLE001 - one bad question must not stop a long run
        record["error"] = f"{type(exc).__name__}: {exc}"
        record["latency_ms"] = round((time.perf_counter() - started) * 1000, 1)
        return record
    retrieved = _retrieved(answer)
    record.update(
        answer=answer.answer, refused=answer.refused,
        citations=[{"n": c.n, "article_id": c.article_id, "url": c.url, "title": c.title} for c in answer.citations],
        retrieved=retrieved, markers=len(MARKER.findall(answer.answer)), invalid_markers=answer.invalid_markers,
        latency_ms=answer.timings_ms.get("total", round((time.perf_counter() - started) * 1000, 1)),
    )
    excerpts = [r["excerpt"] for r in retrieved]
    if q.answers:
        record["answer_contains"] = not answer.refused and contains(answer.answer, q.answers)
        record["f1"] = 0.0 if answer.refused else round(f1(answer.answer, q.answers), 4)
        record["context_rank"] = context_hit_rank(excerpts, q.answers)
        record["source_rank"] = source_rank(retrieved, q.sources) if q.sources else None
    return record


def read_results(path: Path) -> list[dict]:
    """The records of a run folder's results.jsonl (a torn last line from an interrupted run is dropped)."""
    records = []
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                records.append(json.loads(line))
            except ValueError:
                continue
    return records


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


def run(assistant: Any, questions_path: Path, out: Path, k: int = 5, fresh: bool = False, progress: bool = True,
        warn: Callable[[str], None] | None = None) -> RunSummary:
    """Evaluate a question file into OUT: results.jsonl (appended as it goes), metrics.json, ragas.jsonl, reports."""
    from tqdm import tqdm

    from assistant.report import write_reports

    warn = warn or (lambda line: print(line, file=sys.stderr))
    malformed = 0

    def count_warn(line: str) -> None:
        nonlocal malformed
        malformed += 1
        warn(line)

    out.mkdir(parents=True, exist_ok=True)
    results = out / "results.jsonl"
    if fresh:
        results.write_text("")
    done_ids = {r["id"] for r in read_results(results)}
    questions = list(read_questions(questions_path, count_warn))
    todo = [q for q in questions if q.id not in done_ids]
    with results.open("a", encoding="utf-8") as sink:
        for q in tqdm(todo, unit="q", desc="eval", disable=not progress, file=sys.stderr):
            sink.write(json.dumps(evaluate_one(assistant, q, k), ensure_ascii=False) + "\n")
            sink.flush()
    records = read_results(results)
    metrics = summarize(records, k)
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    with (out / "ragas.jsonl").open("w", encoding="utf-8") as sink:
        for row in ragas_rows(records):
            sink.write(json.dumps(row, ensure_ascii=False) + "\n")
    write_reports(out, records, metrics, k)
    return RunSummary(len(todo), len(questions) - len(todo), malformed, metrics)
