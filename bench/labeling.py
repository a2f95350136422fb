"""Benchmark: labeling — vectorised triple barrier, active learning, Dawid–Skene.

- ``triple_barrier_10k``: triple-barrier labels (volatility-scaled barriers at 1×, vertical
  barrier 20 bars) for 10,000 events (10 synthetic symbols × 1,000 events): the platform
  labels all symbols' concatenated bars in one vectorised call; ``reference_loop`` is a
  straightforward per-event loop, in the same run; medians of repeated runs; the labels
  (start, end, label, barrier) must be identical.
- ``active_learning``: a regime-labelling task with a known answer (hidden Markov bear /
  range / bull regimes driving synthetic closes; trailing-return and volatility features).
  A logistic regression trained on a random pool of 1,000 labelled bars sets the accuracy
  to reach on held-out bars; margin sampling starts from 20 random labels and asks for 20
  at a time. ``label_fraction`` = labels needed to reach that accuracy / 1,000, median of
  10 seeds.
- ``dawid_skene_vs_majority``: 2,000 items, 3 classes, 10 simulated annotators of mixed
  skill (three good, seven weak with their own biases), 5 annotators per item; accuracy of
  Dawid–Skene minus accuracy of majority vote, in points, median of 5 seeds.

Run: ``python -m bench.labeling``.
"""

from __future__ import annotations

import os
import time

import numpy as np
from sklearn.base import clone

from axiom_features.labeling.active import default_model, query
from axiom_features.labeling.barriers import (
    Barriers,
    series_ends,
    triple_barrier,
    triple_barrier_loop,
    volatility,
)
from axiom_features.labeling.consensus import dawid_skene, majority_vote
from axiom_features.synthetic.annotators import simulate_annotations
from axiom_features.synthetic.bars import generate_bars
from axiom_features.synthetic.regimes import regime_bars, regime_features
from bench.common import cost_case, median, package_versions, peak_rss_mb, write_result

SYMBOLS, EVENTS_PER_SYMBOL, HORIZON = 10, 1000, 20
POOL, START, BATCH, SEEDS = 1000, 20, 20, 10
ITEMS, SKILLS, PER_ITEM = 2000, [0.9, 0.85, 0.8, 0.45, 0.4, 0.4, 0.4, 0.35, 0.35, 0.35], 5


def _series() -> list[tuple[np.ndarray, np.ndarray]]:
    bars = generate_bars(SYMBOLS, EVENTS_PER_SYMBOL + HORIZON, seed=11)
    out = []
    for _, group in bars.groupby("symbol"):
        close = group["close"].to_numpy(dtype=np.float64)
        out.append((close, volatility(close)))
    return out


BARRIERS = Barriers(1.0, 1.0, HORIZON)


def _loop(series) -> tuple[np.ndarray, ...]:  # noqa: ANN001
    """The reference: every symbol's events one at a time, positions in concatenated bars."""
    out, offset = [], 0
    for close, target in series:
        labels = triple_barrier_loop(close, np.arange(EVENTS_PER_SYMBOL), target, BARRIERS)
        out.append((labels.start + offset, labels.end + offset, labels.label, labels.barrier))
        offset += len(close)
    return tuple(np.concatenate(parts) for parts in zip(*out, strict=True))


def _vectorised(series) -> tuple[np.ndarray, ...]:  # noqa: ANN001
    """The platform: all symbols' bars concatenated, every event in one call."""
    close = np.concatenate([c for c, _ in series])
    target = np.concatenate([t for _, t in series])
    lengths = [len(c) for c, _ in series]
    starts = np.cumsum([0, *lengths[:-1]])
    events = (starts[:, None] + np.arange(EVENTS_PER_SYMBOL)).ravel()
    labels = triple_barrier(close, events, target, BARRIERS, last=series_ends(lengths))
    return labels.start, labels.end, labels.label, labels.barrier


def _timed(function, series, repeats: int) -> tuple[float, tuple]:  # noqa: ANN001
    times, result = [], ()
    for _ in range(repeats):
        start = time.perf_counter()
        result = function(series)
        times.append(time.perf_counter() - start)
    return median(times), result


def triple_barrier_case() -> dict:
    series = _series()
    _vectorised(series)  # warm-up
    loop_s, slow = _timed(_loop, series, 5)
    fast_s, fast = _timed(_vectorised, series, 21)
    identical = all(np.array_equal(a, b) for a, b in zip(fast, slow, strict=True))
    labels = len(fast[2])
    print(f"triple barrier: {labels} labels, vectorised {fast_s * 1e3:.1f} ms, "
          f"loop {loop_s * 1e3:.1f} ms, identical {identical}")  # fmt: skip
    return cost_case(
        "triple_barrier_10k", baseline="reference_loop", baseline_value=loop_s, value=fast_s,
        peak_rss_mb=peak_rss_mb(), goal="ratio <= 0.05 and identical labels",
        events=SYMBOLS * EVENTS_PER_SYMBOL, labels=labels, identical_labels=identical,
    )  # fmt: skip


def labels_needed(seed: int) -> tuple[float, float]:
    """Fraction of the pool margin sampling labels before matching the full-pool accuracy."""
    frame = regime_bars(3000, seed)
    X = regime_features(frame["close"].to_numpy())  # noqa: N806
    y = frame["regime"].to_numpy()
    ok = ~np.isnan(X).any(axis=1)
    X, y = X[ok], y[ok]  # noqa: N806
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(y))
    pool, test = order[:POOL], order[POOL:]
    target = clone(default_model()).fit(X[pool], y[pool]).score(X[test], y[test])
    labelled = list(rng.choice(pool, START, replace=False))
    while len(labelled) < POOL:
        if len(set(y[labelled])) == 3:
            model = clone(default_model()).fit(X[labelled], y[labelled])
            if model.score(X[test], y[test]) >= target:
                return len(labelled) / POOL, target
            rest = np.setdiff1d(pool, labelled)
            labelled += list(rest[query(X[labelled], y[labelled], X[rest], BATCH, "margin")])
        else:
            rest = np.setdiff1d(pool, labelled)
            labelled += list(rng.choice(rest, BATCH, replace=False))
    return 1.0, target


def active_learning_case() -> dict:
    results = [labels_needed(seed) for seed in range(SEEDS)]
    fractions = [r[0] for r in results]
    print(f"active learning: label fractions {fractions}")
    return {
        "case": "active_learning", "metric": "label_fraction", "value": round(median(fractions), 4),
        "goal": "label_fraction <= 0.7", "strategy": "margin", "seeds": SEEDS,
        "per_seed": fractions, "full_pool_accuracy": [round(r[1], 4) for r in results],
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }  # fmt: skip


def dawid_skene_case() -> dict:
    gains, majority_acc, ds_acc = [], [], []
    for seed in range(5):
        truth = np.random.default_rng(seed).integers(0, 3, ITEMS)
        labels = simulate_annotations(truth, SKILLS, [0, 1, 2], PER_ITEM, seed)
        answer = dict(zip([f"item{i:05d}" for i in range(ITEMS)], truth, strict=True))
        vote = majority_vote(labels, [0, 1, 2])
        ds, _ = dawid_skene(labels, [0, 1, 2])
        mv = float((vote["value"] == vote["item"].map(answer)).mean())
        em = float((ds["value"] == ds["item"].map(answer)).mean())
        majority_acc.append(mv)
        ds_acc.append(em)
        gains.append((em - mv) * 100)
    print(f"dawid-skene gains (points): {[round(g, 2) for g in gains]}")
    return {
        "case": "dawid_skene_vs_majority", "metric": "accuracy_gain_points",
        "value": round(median(gains), 2), "goal": "value >= 3",
        "majority_accuracy": round(median(majority_acc), 4),
        "dawid_skene_accuracy": round(median(ds_acc), 4), "per_seed": [round(g, 2) for g in gains],
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }  # fmt: skip


def main() -> None:
    load = os.getloadavg()
    cases = [triple_barrier_case(), active_learning_case(), dawid_skene_case()]
    out = write_result(
        "labeling",
        versions=package_versions("numpy", "pandas", "scikit-learn", "krippendorff", "statsmodels"),
        setup={
            "load_average": [round(x, 2) for x in load], "cpus": os.cpu_count(),
            "triple_barrier_events": SYMBOLS * EVENTS_PER_SYMBOL, "horizon": HORIZON,
            "active_pool": POOL, "active_seeds": SEEDS, "annotators": len(SKILLS),
            "annotator_skills": SKILLS, "items": ITEMS, "annotators_per_item": PER_ITEM,
        },
        cases=cases,
    )  # fmt: skip
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
