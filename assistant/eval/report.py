"""Eval reports: a markdown and an HTML page with plots for one run, and a side-by-side table for two runs.

Everything is rebuilt from results.jsonl, so a resumed run reports on all its questions, not just the last batch.
"""

from __future__ import annotations

import html
import json
from collections import Counter
from pathlib import Path
from typing import Any

from assistant.eval.metrics import outcome, short_right
from assistant.eval.results import read_results

OUTCOMES = ("correct", "wrong", "false refusal", "refused correctly", "answered unanswerable", "error")
_COLOURS = {"correct": "#2ca02c", "wrong": "#d62728", "false refusal": "#ff7f0e", "refused correctly": "#1f77b4",
            "answered unanswerable": "#9467bd", "error": "#7f7f7f"}
PLOTS = ("hit_rate_by_k.png", "latency.png", "outcomes.png", "short_answer_gate.png")


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def hit_rate_by_k(records: list[dict], k: int) -> list[float]:
    """Share of answerable questions with a gold answer in the top 1..k retrieved excerpts."""
    ranks = [r.get("context_rank") for r in records if r["answers"]]
    if not ranks:
        return [0.0] * k
    return [sum(1 for rank in ranks if rank is not None and rank <= i) / len(ranks) for i in range(1, k + 1)]


def worst(records: list[dict], n: int = 10) -> list[dict]:
    """Answerable questions whose answer missed the gold answer, lowest F1 first."""
    missed = [r for r in records if r["answers"] and not r.get("answer_contains")]
    return sorted(missed, key=lambda r: (r.get("f1") or 0.0, r["id"]))[:n]


def precision_coverage(records: list[dict]) -> list[tuple[float, float, float]]:
    """(threshold, precision, coverage) of the short answers as the confidence threshold moves over the run's
    confidences, highest first: what showing fewer, surer short answers buys. Precision: right among those shown
    (an unanswerable question's is wrong); coverage: the answerable questions shown one."""
    scored = sorted(((r["confidence"], short_right(r["short_answer_candidate"], r["answers"]), bool(r["answers"]))
                     for r in records if r.get("short_answer_candidate") and r.get("confidence") is not None
                     and not r.get("refused") and not r.get("error")), key=lambda x: -x[0])
    answerable = sum(1 for r in records if r["answers"]) or 1
    out, right, shown = [], 0, 0
    for i, (confidence, ok, asked) in enumerate(scored):
        right, shown = right + ok, shown + asked
        if i + 1 == len(scored) or scored[i + 1][0] < confidence:  # ties move together
            out.append((confidence, right / (i + 1), shown / answerable))
    return out


def _gate_plot(ax: Any, records: list[dict], metrics: dict) -> None:
    """Precision against coverage as the threshold moves, and where the run's own threshold put it."""
    curve = precision_coverage(records)
    if curve:
        ax.plot([c for _, _, c in curve], [p for _, p, _ in curve], marker=".", markersize=3)
    if metrics.get("short_answer_precision") is not None:
        ax.plot([metrics["short_answer_coverage"]], [metrics["short_answer_precision"]], "o", color="#d62728",
                label="shown in this run")
        ax.legend(fontsize=7, loc="lower left")
    ax.set(xlabel="coverage (answerable questions given a short answer)", ylabel="precision (right among shown)",
           xlim=(0, 1.02), ylim=(0, 1.05), title="Short answers: precision vs coverage")


def plot(out: Path, records: list[dict], k: int, metrics: dict | None = None) -> None:
    """The four PNGs: hit rate by k, latency histogram, outcomes by question group, the short answers' precision
    against coverage."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.2))
    ax.plot(range(1, k + 1), hit_rate_by_k(records, k), marker="o")
    ax.set(xlabel="k (retrieved passages)", ylabel="answer in context", ylim=(0, 1.05), title="Hit rate by k")
    ax.set_xticks(range(1, k + 1))
    fig.tight_layout()
    fig.savefig(out / PLOTS[0], dpi=100)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(5, 3.2))
    ax.hist([r["latency_ms"] for r in records if r.get("latency_ms") is not None] or [0], bins=20)
    ax.set(xlabel="latency (ms)", ylabel="questions", title="Latency")
    fig.tight_layout()
    fig.savefig(out / PLOTS[1], dpi=100)
    plt.close(fig)

    groups = {"answerable": Counter(), "unanswerable": Counter()}
    for r in records:
        groups["answerable" if r["answers"] else "unanswerable"][outcome(r)] += 1
    fig, ax = plt.subplots(figsize=(6, 2.8))
    left = [0, 0]
    for name in OUTCOMES:
        widths = [groups[g][name] for g in groups]
        if any(widths):
            ax.barh(list(groups), widths, left=left, label=name, color=_COLOURS[name])
            left = [a + b for a, b in zip(left, widths, strict=True)]
    ax.set(xlabel="questions", title="Outcome by question")
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(out / PLOTS[2], dpi=100)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(5, 3.6))
    _gate_plot(ax, records, metrics or {})
    fig.tight_layout()
    fig.savefig(out / PLOTS[3], dpi=100)
    plt.close(fig)


def _retrieved_heads(record: dict, width: int = 90) -> list[str]:
    return [f"{x.get('title') or x.get('url')}: {' '.join(x.get('excerpt', '').split())[:width]}…"
            for x in record.get("retrieved", [])[:3]]


def markdown(records: list[dict], metrics: dict) -> str:
    lines = ["# Eval report", "", "| metric | value |", "|---|---|"]
    lines += [f"| {key} | {_fmt(value)} |" for key, value in metrics.items()]
    lines += ["", "## Worst answerable questions", ""]
    for r in worst(records):
        lines.append(f"- **{r['id']}** {r['question']} — gold: {' / '.join(r['answers'])}; "
                     f"short answer: {_fmt(r.get('short_answer'))}; "
                     f"{'refused' if r['refused'] else 'answered'}: {r.get('error') or r['answer'][:200]}")
        lines += [f"  - retrieved: {head}" for head in _retrieved_heads(r)]
    lines += ["", *(f"![{name}]({name})" for name in PLOTS), ""]
    return "\n".join(lines)


def page(records: list[dict], metrics: dict) -> str:
    """The same report as HTML; every piece of question, answer and article text is escaped."""
    e = html.escape
    rows = "".join(f"<tr><td>{e(key)}</td><td>{e(_fmt(value))}</td></tr>" for key, value in metrics.items())
    items = []
    for r in worst(records):
        heads = "".join(f"<li>{e(head)}</li>" for head in _retrieved_heads(r))
        said = r.get("error") or r["answer"][:200]
        items.append(f"<li><b>{e(r['id'])}</b> {e(r['question'])} — gold: {e(' / '.join(r['answers']))}; "
                     f"short answer: <b>{e(_fmt(r.get('short_answer')))}</b>; "
                     f"{'refused' if r['refused'] else 'answered'}: {e(said)}<ul>{heads}</ul></li>")
    images = "".join(f'<img src="{name}" alt="{name}">' for name in PLOTS)
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>Eval report</title></head><body>"
            f"<h1>Eval report</h1><table border='1'>{rows}</table><h2>Worst answerable questions</h2>"
            f"<ol>{''.join(items)}</ol><div>{images}</div></body></html>\n")


def write_reports(out: Path, records: list[dict], metrics: dict, k: int) -> None:
    plot(out, records, k, metrics)
    (out / "report.md").write_text(markdown(records, metrics), encoding="utf-8")
    (out / "report.html").write_text(page(records, metrics), encoding="utf-8")


def compare(run_a: Path, run_b: Path) -> str:
    """Both runs' metrics side by side with B - A, then the questions whose answer_contains or
    short_answer_contains flipped."""
    a, b = (json.loads((Path(p) / "metrics.json").read_text()) for p in (run_a, run_b))
    lines = [f"{'metric':<24} {'A':>10} {'B':>10} {'B-A':>10}", f"{'':<24} {str(run_a)[-10:]:>10} "
             f"{str(run_b)[-10:]:>10}"]
    for key in dict.fromkeys([*a, *b]):
        va, vb = a.get(key), b.get(key)
        diff = vb - va if isinstance(va, (int, float)) and isinstance(vb, (int, float)) else None
        lines.append(f"{key:<24} {_fmt(va):>10} {_fmt(vb):>10} {_fmt(diff) if diff is None else f'{diff:+.3f}':>10}")
    ra = {r["id"]: r for r in read_results(Path(run_a) / "results.jsonl") if r["answers"]}
    rb = {r["id"]: r for r in read_results(Path(run_b) / "results.jsonl") if r["answers"]}
    for key in ("answer_contains", "short_answer_contains"):
        lines += ["", *_flips(ra, rb, key)]
    return "\n".join(lines)


def _flips(ra: dict[str, dict], rb: dict[str, dict], key: str) -> list[str]:
    """The questions both runs answered whose `key` went from miss to hit (fixed) or back (broken)."""
    both = {qid: (bool(ra[qid].get(key)), bool(rb[qid].get(key))) for qid in ra if qid in rb}
    flips = [(qid, now) for qid, (was, now) in both.items() if was != now]
    return [f"{key} flipped on {len(flips)} question(s):",
            *(f"  {'fixed ' if now else 'broken'} {qid}: {ra[qid]['question']}" for qid, now in flips)]
