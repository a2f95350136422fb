"""Sample-uniqueness weights: labels that share bars with many others count for less."""

from __future__ import annotations

import numpy as np


def concurrency(start: np.ndarray, end: np.ndarray, bars: int) -> np.ndarray:
    """How many labels span each bar (a label spans ``start … end`` inclusive)."""
    diff = np.zeros(bars + 1, dtype=np.int64)
    np.add.at(diff, start, 1)
    np.add.at(diff, np.asarray(end) + 1, -1)
    return np.cumsum(diff[:-1])


def average_uniqueness(start: np.ndarray, end: np.ndarray, bars: int) -> np.ndarray:
    """Per label, the mean of ``1 / concurrency`` over the bars it spans (1 = no overlap)."""
    start, end = np.asarray(start), np.asarray(end)
    if len(start) == 0:
        return np.zeros(0)
    count = concurrency(start, end, bars)
    inverse = np.where(count > 0, 1.0 / np.maximum(count, 1), 0.0)
    cumulative = np.concatenate(([0.0], np.cumsum(inverse)))
    return (cumulative[end + 1] - cumulative[start]) / (end - start + 1)
