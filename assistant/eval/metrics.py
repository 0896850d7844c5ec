"""The scores: SQuAD-normalised matching, token F1, retrieval ranks, one percentile, and metrics.json.

Pure functions over plain data, so they are tested without a store and shared by eval and the benches.
"""

from __future__ import annotations

import math
import re
import string
from collections import Counter
from typing import Any

from assistant.cite import MARKER

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_POSSESSIVE = re.compile(r"(?<=\w)['’]s\b")
_PUNCT = str.maketrans("", "", string.punctuation + "“”‘’–—…")
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")

METRIC_KEYS = (
    "questions", "answerable", "unanswerable", "errors", "answer_contains", "f1", "short_answer_em",
    "short_answer_f1", "short_answer_contains", "short_answer_precision", "short_answer_coverage",
    "answer_in_context_at_k", "context_chars", "source_hit_at_k",
    "mrr_at_k", "refused_unanswerable", "false_refusal", "citation_valid", "latency_p50_ms", "latency_p95_ms",
)


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


def short_scores(short: str | None, answers: list[str]) -> dict[str, float]:
    """SQuAD exact match and F1 of the short answer against the best gold answer, and whether one occurs in it;
    no short answer scores 0 on all three."""
    if not short or not answers:
        return {"short_answer_em": 0.0, "short_answer_f1": 0.0, "short_answer_contains": 0.0}
    return {"short_answer_em": float(any(normalize(short) == normalize(g) for g in answers)),
            "short_answer_f1": round(max(token_f1(short, g) for g in answers), 4),
            "short_answer_contains": float(contains(short, answers))}


def short_right(short: str | None, answers: list[str]) -> bool:
    """A short answer is right when it holds a gold answer or a gold answer holds it ("Hadi" for "Ahmed Abdel
    Hadi"): what its confidence is calibrated to (bench/tune.py); one for an unanswerable question is wrong."""
    return bool(short and answers) and (contains(short, answers) or any(contains(g, [short]) for g in answers))


def short_answer_gate(records: list[dict]) -> dict[str, float | None]:
    """short_answer_precision: right among the short answers shown (an unanswerable question's counts as wrong);
    short_answer_coverage: the answerable questions given one. Users read the bold phrase first: precision is
    what they can trust it to, coverage what it costs."""
    shown = [bool(r.get("short_answer")) and not r.get("refused") and not r.get("error") for r in records]
    return {"short_answer_precision": mean([float(short_right(r["short_answer"], r["answers"]))
                                            for r, s in zip(records, shown, strict=True) if s]),
            "short_answer_coverage": mean([float(s) for r, s in zip(records, shown, strict=True) if r["answers"]])}


def chronology_checks(entries: list[dict], as_of: str | None) -> dict[str, Any]:
    """What a chronology answer is judged by: its entries, their distinct dates, whether they run in date order,
    and how many are dated after the question's as-of date (none should be)."""
    days = [e["date"] for e in entries]
    return {"entry_count": len(days), "distinct_dates": len(set(days)), "in_date_order": days == sorted(days),
            "after_as_of": sum(day > as_of[:10] for day in days) if as_of else 0}


def chronology_metrics(records: list[dict]) -> dict[str, float | None]:
    """Over the lines that expect a chronology: how often one came back (the kind read right), with three or more
    entries on distinct dates, in date order, none after the as-of date."""
    lines = [r for r in records if r.get("expected_kind") == "chronology" and not r.get("error")]
    return {"chronology_questions": len(lines),
            "chronology_kind_right": mean([float(r.get("kind") == "chronology") for r in lines]),
            "chronology_entries": mean([float(r.get("entry_count", 0)) for r in lines]),
            "chronology_three_dates": mean([float(r.get("distinct_dates", 0) >= 3) for r in lines]),
            "chronology_in_order": mean([float(bool(r.get("in_date_order"))) for r in lines]),
            "chronology_none_after_as_of": mean([float(not r.get("after_as_of")) for r in lines])}


def context_hit_rank(excerpts: list[str], answers: list[str]) -> int | None:
    """1-based rank of the first retrieved excerpt holding a gold answer (None if none does)."""
    return next((i + 1 for i, text in enumerate(excerpts) if contains(text, answers)), None)


def source_rank(retrieved: list[dict], sources: list[str]) -> int | None:
    """1-based rank of the first retrieved passage whose url or article id is a labelled source."""
    wanted = set(sources)
    return next((i + 1 for i, r in enumerate(retrieved) if r.get("url") in wanted or r.get("article_id") in wanted),
                None)


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (a value that was measured, never an interpolation); None for no values. The one
    definition eval and the benches report latency with."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]


def mean(values: list[float]) -> float | None:
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


def _answer_metrics(answerable: list[dict]) -> dict[str, float | None]:
    """The answerable questions' answer scores; a refusal scores 0."""
    return {
        "answer_contains": mean([float(bool(r.get("answer_contains"))) for r in answerable]),
        "f1": mean([r.get("f1") or 0.0 for r in answerable]),
        **{key: mean([r.get(key) or 0.0 for r in answerable])
           for key in ("short_answer_em", "short_answer_f1", "short_answer_contains")},
    }


def summarize(records: list[dict], k: int) -> dict[str, Any]:
    """metrics.json from the per-question records; answerable metrics average over answerable questions only."""
    phrased = [r for r in records if r.get("expected_kind") != "chronology"]  # chronologies: judged apart
    answerable = [r for r in phrased if r["answers"]]
    unanswerable = [r for r in phrased if not r["answers"]]
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
        **_answer_metrics(answerable),
        **short_answer_gate(records),
        "answer_in_context_at_k": mean([float(r.get("context_rank") is not None) for r in answerable]),
        # how much text the k passages hand the reader: in-context rates compare fairly only next to it
        "context_chars": mean([float(sum(len(x["excerpt"]) for x in r.get("retrieved", []))) for r in records]),
        "source_hit_at_k": mean([float(r.get("source_rank") is not None) for r in with_sources]),
        "mrr_at_k": mean([1 / r["source_rank"] if r.get("source_rank") else 0.0 for r in with_sources]),
        "refused_unanswerable": mean([float(r["refused"]) for r in unanswerable]),
        "false_refusal": mean([float(r["refused"]) for r in answerable]),
        "citation_valid": round(1 - invalid / (markers + invalid), 4) if markers + invalid else None,
        "latency_p50_ms": percentile(latencies, 50),
        "latency_p95_ms": percentile(latencies, 95),
        "kind_right": mean([float(r.get("kind") == r["expected_kind"]) for r in records if r.get("expected_kind")]),
        **chronology_metrics(records),
    }
