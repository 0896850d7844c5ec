"""`archive-chat eval` on the test archive: results, metrics, reports, resume and compare; the metric helpers."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from conftest import SQUAD, read_jsonl

from assistant.cli import main
from assistant.eval.metrics import (
    METRIC_KEYS,
    contains,
    context_hit_rank,
    f1,
    normalize,
    percentile,
    short_right,
    source_rank,
    summarize,
)
from assistant.eval.questions import read_questions
from assistant.eval.report import precision_coverage

HAMAS = "Who headed the Hamas delegation that met Hezbollah in Beirut?"


def squad_questions(n: int) -> list[dict]:
    """Answerable SQuAD questions whose passages are among the 40 in the test archive."""
    picked = []
    for q in read_jsonl(SQUAD / "questions.jsonl"):
        if q["answers"] and q["sources"] and all(s[-3:].isdigit() and int(s[-3:]) < 40 for s in q["sources"]):
            picked.append(q)
        if len(picked) == n:
            return picked
    return picked


def write_questions(path):
    """The seed question, an unanswerable one, a malformed line 3 and three SQuAD questions."""
    lines = [
        json.dumps({"id": "seed", "question": HAMAS, "answers": ["Ahmed Abdel Hadi"]}),
        json.dumps({"id": "peru", "question": "What is the capital of Peru?", "answers": []}),
        "{not json",
        *(json.dumps(q) for q in squad_questions(3)),
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def questions(tmp_path):
    return write_questions(tmp_path / "questions.jsonl")


@pytest.fixture(scope="module")
def run_dir(news_store, tmp_path_factory):
    """One eval run shared by the CLI tests (the store is the session's; the run is done once)."""
    folder = tmp_path_factory.mktemp("eval")
    path = write_questions(folder / "questions.jsonl")
    out = folder / "run"
    result = CliRunner().invoke(main, ["eval", str(path), "--store", str(news_store.folder), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return path, out, result


def test_eval_writes_results_metrics_and_reports(run_dir):
    path, out, result = run_dir
    assert f"{path}:3:" in result.stderr
    records = read_jsonl(out / "results.jsonl")
    assert [r["id"] for r in records][:2] == ["seed", "peru"] and len(records) == 5
    seed = records[0]
    assert seed["answer_contains"] and seed["f1"] > 0 and seed["context_rank"] == 1 and not seed["error"]
    assert seed["citations"] and {"n", "article_id", "url", "title"} <= set(seed["citations"][0])
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(METRIC_KEYS) <= set(metrics)
    assert metrics["questions"] == 5 and metrics["answerable"] == 4 and metrics["unanswerable"] == 1
    assert metrics["answer_contains"] >= 0.25
    assert records[1]["refused"] and metrics["refused_unanswerable"] == 1.0
    assert metrics["citation_valid"] == 1.0 and metrics["source_hit_at_k"] > 0  # gold sources are not filters
    assert all(r["retrieved"] for r in records)
    # the phrase found and its confidence are kept whether shown or not: the report's precision-coverage curve
    assert seed["short_answer_candidate"] == "Ahmed Abdel Hadi" and 0.0 < seed["confidence"] < 1.0
    assert records[1]["short_answer_candidate"] is None and records[1]["confidence"] is None  # refused
    assert metrics["short_answer_coverage"] is not None
    shown = sum(len(x["excerpt"]) for r in records for x in r["retrieved"])
    assert metrics["context_chars"] == round(shown / len(records), 4)
    for name in ("report.md", "report.html", "hit_rate_by_k.png", "latency.png", "outcomes.png",
                 "short_answer_gate.png"):
        assert (out / name).stat().st_size > 0, name
    assert '<img src="latency.png"' in (out / "report.html").read_text()
    ragas = read_jsonl(out / "ragas.jsonl")
    assert len(ragas) == 5 and set(ragas[0]) == {"user_input", "retrieved_contexts", "response", "reference"}
    assert ragas[0]["reference"] == "Ahmed Abdel Hadi" and ragas[0]["retrieved_contexts"]


def test_eval_resumes_then_compares(run_dir, news_store, tmp_path):
    path, out, _ = run_dir
    again = CliRunner().invoke(main, ["eval", str(path), "--store", str(news_store.folder), "--out", str(out),
                                      "--quiet"])
    assert again.exit_code == 0, again.output
    assert "0 questions run, 5 already done" in again.stdout
    assert len(read_jsonl(out / "results.jsonl")) == 5
    compared = CliRunner().invoke(main, ["eval", "--compare", str(out), str(out)])
    assert compared.exit_code == 0, compared.output
    assert "answer_contains" in compared.stdout and "flipped on 0 question(s)" in compared.stdout


def test_malformed_lines_are_reported_with_their_number(questions):
    warnings: list[str] = []
    parsed = list(read_questions(questions, warnings.append))
    assert len(parsed) == 5 and warnings == [f"{questions}:3: Expecting property name enclosed in double quotes: "
                                             "line 1 column 2 (char 1)"]


def test_feedback_lines_become_questions(tmp_path):
    path = tmp_path / "feedback.jsonl"
    path.write_text(json.dumps({"question": "Q?", "answer": "Ahmed Abdel Hadi [1].", "citations": [],
                                "rating": "up"}) + "\n" + json.dumps({"question": "Q2?", "answer": "x",
                                                                      "rating": "down"}) + "\n")
    warnings: list[str] = []
    parsed = list(read_questions(path, warnings.append))
    assert len(parsed) == 1 and parsed[0].answers == ["Ahmed Abdel Hadi."] and len(warnings) == 1


def test_normalization_and_f1():
    assert normalize("The  Ahmed Abdel-Hadi!") == "ahmed abdelhadi"
    assert f1("the Ahmed Abdel Hadi", ["Ahmed Abdel Hadi"]) == 1.0
    assert f1("It was sunny. The delegation was led by Ahmed Abdel Hadi [1].", ["Ahmed Abdel Hadi"]) == pytest.approx(
        2 * (3 / 7) * 1 / (3 / 7 + 1))
    assert f1("nothing here", ["Ahmed Abdel Hadi"]) == 0.0
    assert contains("Led by Ahmed Abdel Hadi.", ["ahmed abdel hadi"]) and not contains("Hadid", ["Hadi"])
    assert contains("Brazil’s coach resigned.", ["Brazil"])  # possessive dropped


def test_ranks_and_summary():
    assert context_hit_rank(["no", "yes Ahmed Abdel Hadi"], ["Ahmed Abdel Hadi"]) == 2
    assert source_rank([{"url": "u1", "article_id": "a"}, {"url": "u2", "article_id": "b"}], ["b"]) == 2
    assert percentile([1, 2, 3, 4], 50) == 2 and percentile([], 50) is None
    records = [
        {"answers": ["x"], "sources": ["s"], "refused": False, "answer_contains": True, "f1": 1.0,
         "context_rank": 1, "source_rank": 2, "markers": 2, "invalid_markers": 0, "latency_ms": 10},
        {"answers": ["y"], "sources": [], "refused": True, "answer_contains": False, "f1": 0.0,
         "context_rank": None, "source_rank": None, "markers": 0, "invalid_markers": 1, "latency_ms": 30},
        {"answers": [], "refused": True, "latency_ms": 20},
    ]
    m = summarize(records, 5)
    assert m["answer_contains"] == 0.5 and m["answer_in_context_at_k"] == 0.5 and m["mrr_at_k"] == 0.5
    assert m["source_hit_at_k"] == 1.0 and m["refused_unanswerable"] == 1.0 and m["false_refusal"] == 0.5
    assert m["citation_valid"] == pytest.approx(2 / 3, abs=1e-4) and m["latency_p50_ms"] == 20


def _record(answers: list[str], candidate: str | None, confidence: float | None, shown: bool,
            refused: bool = False) -> dict:
    return {"answers": answers, "refused": refused, "short_answer": candidate if shown else None,
            "short_answer_candidate": candidate, "confidence": confidence}


GATED = [
    _record(["Ahmed Abdel Hadi"], "Ahmed Abdel Hadi", 0.9, True),  # right, shown
    _record(["December 30, 2006"], "Thursday", 0.2, False),  # wrong, held back
    _record(["Hasan Huballah"], "Huballah", 0.6, True),  # contained in the gold answer: right
    _record([], "Lima", 0.7, True),  # unanswerable: a shown short answer is wrong
    _record(["Al-Manar"], None, None, False, refused=True),
]


def test_short_answer_precision_and_coverage():
    """Precision: right among the short answers shown, an unanswerable question's counting as wrong; coverage:
    the answerable questions shown one."""
    assert short_right("Huballah", ["Hasan Huballah"]) and short_right("$118 million", ["118 million"])
    assert not short_right("Thursday", ["December 30, 2006"]) and not short_right("Lima", [])
    m = summarize(GATED, 5)
    assert m["short_answer_precision"] == pytest.approx(2 / 3, abs=1e-4)
    assert m["short_answer_coverage"] == 0.5
    none_shown = summarize([_record(["x"], "y", 0.1, False)], 5)
    assert none_shown["short_answer_precision"] is None and none_shown["short_answer_coverage"] == 0.0


def test_precision_against_coverage_as_the_threshold_moves():
    """Highest confidence first: each point is what showing every candidate at or above it would give."""
    assert precision_coverage(GATED) == [(0.9, 1.0, 0.25), (0.7, 0.5, 0.25),
                                         (0.6, pytest.approx(2 / 3), 0.5), (0.2, 0.5, 0.75)]
    assert precision_coverage([_record(["x"], None, None, False)]) == []
