"""Simulated annotators of known skill: each answers right with its own probability and
otherwise picks a wrong class with its own bias."""

from __future__ import annotations

import numpy as np
import pandas as pd


def simulate_annotations(
    truth: np.ndarray,
    skills: list[float],
    classes: list[int],
    per_item: int,
    seed: int = 0,
) -> pd.DataFrame:
    """``per_item`` distinct annotators label each item; annotator ``a`` is right with
    probability ``skills[a]``, and when wrong prefers one fixed wrong class 2:1 over the
    others. Returns ``item, annotator, value`` rows."""
    rng = np.random.default_rng(seed)
    k = len(classes)
    bias = rng.integers(0, k, len(skills))
    rows = []
    for item, answer in enumerate(np.asarray(truth)):
        right = classes.index(int(answer))
        for a in rng.choice(len(skills), per_item, replace=False):
            if rng.random() < skills[a]:
                given = right
            else:
                wrong = [c for c in range(k) if c != right]
                weights = np.array([2.0 if c == bias[a] else 1.0 for c in wrong])
                given = wrong[rng.choice(len(wrong), p=weights / weights.sum())]
            rows.append((f"item{item:05d}", f"annotator{a:02d}", classes[given]))
    return pd.DataFrame(rows, columns=["item", "annotator", "value"])
