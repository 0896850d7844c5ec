"""The short-answer ranker's weights and the refusal threshold of the extractive answerer, chosen by k-fold
cross-validation over both dev sets together, and the out-of-fold numbers that say how the choice does on
questions it was not chosen on.

Why: weights and a threshold tuned on one dev set did not carry over to a held-out set of the same kind (issue
15). Retrieval runs once per question (cached under bench/out/tune). For each fold, the ranker is fitted on the
other folds' candidates (a softmax over each question's candidate phrases, fitted to each one's SQuAD F1 against
the gold answers, L2-regularised), the passages are read again with it (spaCy's tags are cached), and the
typed-phrase weight and refusal threshold that score best on the other folds are applied to the fold. The
printed numbers are those out-of-fold decisions; what is fitted and chosen on all questions ships as the defaults
(`ShortWeights` in assistant/answer/short.py, `Weights.typed`, `min_evidence` in vectorstore/settings.py).

    python bench/tune.py [--folds 5] [--seed 15] [--sets realtimeqa squad2] [--without role ...]

`--without SIGNAL` is the ablation: the signal's column is zeroed before every fit, so its weight is fitted to 0
(only the L2 term sees it) and the ranker, the refusal threshold and the gate are refitted without it; the result
goes to tune-<sets>-without-<signals>.json (and its own gate pickle), leaving the shipped run's files alone.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import pickle
import random
import sys
import time
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from quality import DATA, OUT, SETS, our_archive  # noqa: E402

from assistant.answer.extractive import ExtractiveAnswerer, Weights  # noqa: E402
from assistant.answer.short import Calibration, ShortWeights, gate_features  # noqa: E402
from assistant.ask import Assistant  # noqa: E402
from assistant.eval.metrics import contains, f1, short_scores  # noqa: E402
from assistant.eval.questions import read_questions  # noqa: E402
from assistant.terms import coverage, terms, weights  # noqa: E402
from vectorstore.filters import Filters  # noqa: E402

L2 = 0.01  # the ranker's regularisation: out-of-fold F1 was flat over 0.001-0.1
TYPED = np.round(np.concatenate([np.arange(0.0, 0.4, 0.025), np.arange(0.4, 1.01, 0.1)]), 3)
THRESHOLDS = np.round(np.arange(0.30, 1.501, 0.005), 3)
FALSE_REFUSAL_CAP = 0.11  # on the training folds, a point under the 0.12 for realtimeqa
GATE = tuple(f.name for f in dataclasses.fields(Calibration) if f.name not in ("intercept", "threshold"))
PRECISION = 0.85  # the short answers shown must be right this often
PLATT_L2 = 0.01
SHOWN = Calibration(threshold=0.0)  # every short answer shown: what the ranker and the refusals are tuned on
HIDDEN = Calibration(threshold=2.0)  # none shown: the answer opens with its best sentence


def retrieved(name: str) -> list[tuple]:
    """(set, question, passages) for every question of a set, retrieved once and cached."""
    cache = OUT / "tune" / f"{name}.pkl"
    if cache.exists():
        return pickle.loads(cache.read_bytes())
    folder = (DATA / SETS[name]).resolve()
    assistant = Assistant(our_archive(name, folder / "articles.jsonl"))
    rows = []
    for q in read_questions(folder / "questions.jsonl", print):
        plan = assistant.plan(q.question, [], Filters.parse(q.filters), assistant.settings.k)
        rows.append((name, q, assistant.retrieve(plan).passages))
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_bytes(pickle.dumps(rows))
    return rows


def candidate_table(rows: list[tuple], without: tuple[str, ...] = ()) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per question: its candidates' signals (one row each, in `ShortWeights`' field order) and their SQuAD F1
    against the gold answers. The signals do not depend on the weights, so one reading gives them. The signals
    `without` are zeroed: the ranker then fits them a weight of 0 (the ablation)."""
    answerer = ExtractiveAnswerer(0.0)
    names = [f.name for f in dataclasses.fields(ShortWeights)]
    out = []
    for _, q, passages in rows:
        found = answerer.read(q.question, passages, []).found if q.answers else []
        out.append((np.array([[0.0 if n in without else c.signals[n] for n in names] for c in found]).reshape(
                    len(found), len(names)),
                    np.array([short_scores(c.text, q.answers)["short_answer_f1"] for c in found])))
    return out


def fit_ranker(table: list[tuple[np.ndarray, np.ndarray]], idx: np.ndarray) -> ShortWeights:
    """Weights under which each question's softmax over its candidates puts its mass where the F1 is."""
    items = [(x, y / y.sum()) for x, y in (table[i] for i in idx) if len(y) and y.sum() > 0]

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        value, grad = L2 * w @ w, 2 * L2 * w
        for x, target in items:
            s = x @ w
            p = np.exp(s - s.max())
            p /= p.sum()
            value -= target @ np.log(p + 1e-12)
            grad -= x.T @ (target - p)
        return value / len(items), grad / len(items)

    w = minimize(loss, np.zeros(len(dataclasses.fields(ShortWeights))), jac=True, method="L-BFGS-B").x
    return ShortWeights(*(round(float(v), 2) for v in w))


def _right(candidate: str, gold: list[str]) -> bool:
    """The short answer is right: it holds a gold answer, or a gold answer holds it."""
    return bool(gold) and (contains(candidate, gold) or any(contains(g, [candidate]) for g in gold))


def readings(rows: list[tuple], short: ShortWeights) -> dict[str, np.ndarray]:
    """Per question: evidence, whether a typed phrase was found, the answer's scores were it not refused, and what
    the short answer's gate reads: its features, whether it is right, the answer's contains without it."""
    answerer = ExtractiveAnswerer(0.0, Weights(short=short, calibration=SHOWN))
    hidden = ExtractiveAnswerer(0.0, Weights(short=short, calibration=HIDDEN))
    out: dict[str, list] = {k: [] for k in ("evidence", "typed", "found", "contains", "f1", "sa_em", "sa_f1",
                                            "sa_contains", "ms", "gate", "candidate", "right", "contains_hidden",
                                            "signals")}
    names = [f.name for f in dataclasses.fields(ShortWeights)]
    for _, q, passages in rows:
        started = time.perf_counter()
        reading = answerer.read(q.question, passages, [])
        draft = answerer.compose(q.question, passages, reading) if reading.first else None
        out["ms"].append((time.perf_counter() - started) * 1000)
        out["evidence"].append(reading.evidence)
        out["typed"].append(reading.typed)
        out["found"].append(draft is not None)
        gold = q.answers
        out["contains"].append(bool(draft and gold and contains(draft.text, gold)))
        out["f1"].append(f1(draft.text, gold) if draft and gold else 0.0)
        scores = short_scores(draft.short_answer if draft else None, gold)
        for key in ("em", "f1", "contains"):
            out[f"sa_{key}"].append(scores[f"short_answer_{key}"])
        found = reading.found
        out["candidate"].append(bool(draft and found))
        features = gate_features(found, [p.text for p in passages], coverage(weights(q.question), terms(
            reading.first.text)), reading.evidence) if found else {}
        out["gate"].append([features.get(name, 0.0) for name in GATE])
        out["signals"].append([found[0].signals[n] for n in names] if found else [0.0] * len(names))
        out["right"].append(bool(found) and _right(found[0].text, gold))
        bare = hidden.compose(q.question, passages, reading) if reading.first else None
        out["contains_hidden"].append(bool(bare and gold and contains(bare.text, gold)))
    return {k: np.array(v, dtype=float) for k, v in out.items()}


def metrics(r: dict[str, np.ndarray], refused: np.ndarray, idx: np.ndarray, sets: np.ndarray,
            answerable: np.ndarray) -> dict[str, float]:
    """The issue's numbers for the questions `idx`, given the refusal decisions."""
    out = {}
    for name in SETS:
        ans = idx[(sets[idx] == name) & answerable[idx]]
        una = idx[(sets[idx] == name) & ~answerable[idx]]
        kept = ~refused[ans]
        out[f"{name}_false_refusal"] = float(refused[ans].mean()) if len(ans) else 0.0
        if len(una):
            out[f"{name}_refused_unanswerable"] = float(refused[una].mean())
        for key in ("contains", "f1", "sa_em", "sa_f1", "sa_contains"):
            out[f"{name}_{key}"] = float((r[key][ans] * kept).mean()) if len(ans) else 0.0
    return out


def objective(m: dict[str, float]) -> float:
    """Refuse SQuAD's unanswerable questions while answering RealTimeQA's (capped false refusals) and answering
    well: short-answer F1 and answer-contains on both sets count."""
    over = max(0.0, m["realtimeqa_false_refusal"] - FALSE_REFUSAL_CAP)
    return (m["squad2_refused_unanswerable"] + 0.5 * (m["realtimeqa_sa_f1"] + m["squad2_sa_f1"])
            + 0.25 * (m["realtimeqa_contains"] + m["squad2_contains"]) - 10 * over)


def refusals(r: dict[str, np.ndarray], typed: float, threshold: float) -> np.ndarray:
    return ~r["found"].astype(bool) | (r["evidence"] + typed * r["typed"] < threshold)


def best_setting(r: dict[str, np.ndarray], idx: np.ndarray, sets: np.ndarray, answerable: np.ndarray) -> tuple:
    """(objective, typed weight, threshold) that does best on the questions `idx`."""
    best = (-1e9, 0.0, 0.0)
    for typed, threshold in itertools.product(TYPED, THRESHOLDS):
        score = objective(metrics(r, refusals(r, typed, threshold), idx, sets, answerable))
        if score > best[0]:
            best = (score, float(typed), float(threshold))
    return best


def folds(sets: np.ndarray, answerable: np.ndarray, k: int, seed: int) -> np.ndarray:
    """A fold number per question, stratified by set and answerability."""
    fold = np.zeros(len(sets), dtype=int)
    rng = random.Random(seed)
    for name, ans in itertools.product(SETS, (True, False)):
        members = [i for i in range(len(sets)) if sets[i] == name and answerable[i] == ans]
        rng.shuffle(members)
        for j, i in enumerate(members):
            fold[i] = j % k
    return fold


def fit_platt(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Logistic regression (intercept first, L2 on the slopes): Platt scaling of the features to P(right)."""
    a = np.hstack([np.ones((len(x), 1)), x])

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        p = 1 / (1 + np.exp(-(a @ w)))
        value = -np.mean(y * np.log(p + 1e-12) + (1 - y) * np.log(1 - p + 1e-12)) + PLATT_L2 * w[1:] @ w[1:]
        grad = a.T @ (p - y) / len(y) + 2 * PLATT_L2 * np.concatenate([[0.0], w[1:]])
        return value, grad

    return minimize(loss, np.zeros(a.shape[1]), jac=True, method="L-BFGS-B").x


def platt(w: np.ndarray, x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-(w[0] + x @ w[1:])))


def out_of_fold_confidence(x: np.ndarray, y: np.ndarray, fold: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Each of the questions `idx` scored by a Platt fit on the others' folds (the rest of the array is NaN)."""
    conf = np.full(len(y), np.nan)
    for f in np.unique(fold[idx]):
        train, test = idx[fold[idx] != f], idx[fold[idx] == f]
        conf[test] = platt(fit_platt(x[train], y[train]), x[test])
    return conf


def threshold_for(conf: np.ndarray, y: np.ndarray) -> float:
    """The lowest confidence at and above which the short answers are right at least PRECISION of the time (the
    most coverage that keeps the promise); 1.0, showing none, if no threshold does."""
    order = np.argsort(-conf)
    precision = np.cumsum(y[order]) / np.arange(1, len(order) + 1)
    ok = np.where(precision >= PRECISION)[0]
    return float(conf[order][ok[-1]]) if len(ok) else 1.0


def gate_metrics(r: dict[str, np.ndarray], shown: np.ndarray, given: np.ndarray, sets: np.ndarray,
                 answerable: np.ndarray) -> dict[str, float | None]:
    """Per set: precision (right among the short answers shown), coverage (shown among answerable) and
    answer_contains (answerable; a refusal scores 0), with the gate `shown` and without it (every short answer
    `given` shown: the old numbers)."""
    out = {}
    for name in SETS:
        mine, ans = sets == name, (sets == name) & answerable
        for label, show in (("old", given), ("gated", shown)):
            out[f"{name}_{label}_precision"] = float(r["right"][mine & show].mean()) if (mine & show).any() else None
            out[f"{name}_{label}_coverage"] = float(show[ans].mean())
            text_contains = np.where(show, r["contains"], r["contains_hidden"]) * r["answered"]
            out[f"{name}_{label}_answer_contains"] = float(text_contains[ans].mean())
    return out


def calibrate(r: dict[str, np.ndarray], fold: np.ndarray, sets: np.ndarray, answerable: np.ndarray) -> dict:
    """The gate, out of fold: Platt scaling and a threshold chosen per fold on the other folds' inner out-of-fold
    confidences; then the shipped fit and threshold, on all questions' out-of-fold features."""
    given = r["answered"].astype(bool) & r["candidate"].astype(bool)
    x, y, pool = r["gate"], r["right"], np.where(given)[0]
    shown = np.zeros(len(y), dtype=bool)
    thresholds = []
    for f in np.unique(fold):
        train, test = pool[fold[pool] != f], pool[fold[pool] == f]
        t = threshold_for(*(a[train] for a in (out_of_fold_confidence(x, y, fold, train), y)))
        shown[test] = platt(fit_platt(x[train], y[train]), x[test]) >= t
        thresholds.append(round(t, 3))
    conf = out_of_fold_confidence(x, y, fold, pool)
    w = fit_platt(x[pool], y[pool])
    final = Calibration(*(round(float(v), 3) for v in w), threshold=round(threshold_for(conf[pool], y[pool]), 3))
    return {"out_of_fold": gate_metrics(r, shown, given, sets, answerable), "fold_thresholds": thresholds,
            "final": dataclasses.asdict(final), "features": list(GATE), "shown_rightness_of_oof_confidence":
            _reliability(conf[pool], y[pool]), "curve": _curve(conf, r, given, sets, answerable)}


def _reliability(conf: np.ndarray, y: np.ndarray, bins: int = 5) -> list[dict]:
    """Out-of-fold confidence against how often it was right, by quantile bin: is the calibration calibrated."""
    edges = np.quantile(conf, np.linspace(0, 1, bins + 1))
    which = np.clip(np.searchsorted(edges, conf, side="right") - 1, 0, bins - 1)
    return [{"mean_confidence": round(float(conf[which == b].mean()), 3), "right": round(float(y[which == b].mean()),
             3), "n": int((which == b).sum())} for b in range(bins) if (which == b).any()]


def _curve(conf: np.ndarray, r: dict[str, np.ndarray], given: np.ndarray, sets: np.ndarray,
           answerable: np.ndarray) -> list[dict]:
    """Out-of-fold precision and coverage per set as the threshold moves."""
    out = []
    for t in np.round(np.arange(0.0, 1.0, 0.05), 2):
        m = gate_metrics(r, given & (np.nan_to_num(conf, nan=-1.0) >= t), given, sets, answerable)
        out.append({"threshold": float(t), **{k.replace("_gated", ""): None if v is None else round(v, 3)
                                              for k, v in m.items() if "_gated_" in k and "contains" not in k}})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--sets", nargs="+", choices=sorted(SETS), default=list(SETS), help="both, unless checking")
    parser.add_argument("--gate-only", action="store_true", help="refit the short-answer gate on the last run's "
                        "out-of-fold readings (bench/out/tune/gate-oof.pkl)")
    parser.add_argument("--without", nargs="+", default=[], choices=[f.name for f in dataclasses.fields(ShortWeights)],
                        help="the ablation: fit with these ranker signals' weights forced to 0")
    args = parser.parse_args()
    tag = f"-without-{'-'.join(args.without)}" if args.without else ""
    saved = OUT / "tune" / f"gate-oof{tag}.pkl"
    if args.gate_only:
        print(json.dumps(calibrate(*pickle.loads(saved.read_bytes())), indent=2))
        return
    rows = [row for name in args.sets for row in retrieved(name)]
    sets = np.array([name for name, _, _ in rows])
    answerable = np.array([bool(q.answers) for _, q, _ in rows])
    table = candidate_table(rows, tuple(args.without))
    fold = folds(sets, answerable, args.folds, args.seed)
    oof_refused = np.zeros(len(rows), dtype=bool)
    oof = {k: np.zeros(len(rows)) for k in ("contains", "f1", "sa_em", "sa_f1", "sa_contains", "right", "candidate",
                                            "contains_hidden")}
    oof["gate"] = np.zeros((len(rows), len(GATE)))
    oof["signals"] = np.zeros((len(rows), len(dataclasses.fields(ShortWeights))))
    chosen = []
    for f in range(args.folds):
        train, test = np.where(fold != f)[0], np.where(fold == f)[0]
        short = fit_ranker(table, train)
        r = readings(rows, short)
        _, typed, threshold = best_setting(r, train, sets, answerable)
        chosen.append({"fold": f, "short": short.__dict__, "typed": typed, "min_evidence": threshold})
        print(f"fold {f + 1}/{args.folds}: {chosen[-1]}", file=sys.stderr, flush=True)
        oof_refused[test] = refusals(r, typed, threshold)[test]
        for key in oof:
            oof[key][test] = r[key][test]
    everything = np.arange(len(rows))
    out_of_fold = metrics(oof, oof_refused, everything, sets, answerable)
    inputs = ({**oof, "answered": (~oof_refused).astype(float)}, fold, sets, answerable)
    saved.write_bytes(pickle.dumps(inputs))
    gate = calibrate(*inputs)
    print(f"short-answer gate: {json.dumps(gate['out_of_fold'])}", file=sys.stderr, flush=True)
    short = fit_ranker(table, everything)
    r = readings(rows, short)
    _, typed, threshold = best_setting(r, everything, sets, answerable)
    in_sample = metrics(r, refusals(r, typed, threshold), everything, sets, answerable)
    result = {"folds": chosen, "out_of_fold": out_of_fold, "final": {"short": short.__dict__, "typed": typed,
              "min_evidence": threshold}, "in_sample_final": in_sample,
              "ms_per_question_p50": float(np.median(r["ms"])), "short_answer_gate": gate}
    (OUT / f"tune-{'-'.join(args.sets)}{tag}.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
