"""Programmatic labels from bars: one frame per method with ``symbol, t0, t1, label, weight``.

``t0`` is the bar the label describes, ``t1`` the bar at which its outcome is known, and
``weight`` the label's average uniqueness among its symbol's labels.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from axiom_features.labeling.barriers import (
    DEFAULT_BARRIERS,
    Barriers,
    meta_labels,
    triple_barrier,
    volatility,
)
from axiom_features.labeling.horizons import fixed_horizon, trend_scanning
from axiom_features.labeling.uniqueness import average_uniqueness

Method = Literal["triple_barrier", "fixed_horizon", "trend_scanning", "meta"]
METHODS: tuple[str, ...] = ("triple_barrier", "fixed_horizon", "trend_scanning", "meta")
LABEL_COLUMNS = ("symbol", "t0", "t1", "label", "weight", "value")


def momentum_side(close: np.ndarray, fast: int = 5, slow: int = 20) -> np.ndarray:
    """A primary signal for meta-labels: +1 when the fast mean is above the slow one, else -1
    (0 during warm-up)."""
    s = pd.Series(close, dtype="float64")
    diff = (s.rolling(fast).mean() - s.rolling(slow).mean()).to_numpy()
    return np.where(np.isnan(diff), 0.0, np.where(diff > 0, 1.0, -1.0))


def _symbol_labels(close: np.ndarray, method: str, barriers: Barriers, span: int):
    """(start, end, label, value) positions for one symbol."""
    if method in ("triple_barrier", "meta"):
        target = volatility(close, span)
        side = momentum_side(close) if method == "meta" else None
        out = triple_barrier(close, np.arange(len(close)), target, barriers, side)
        label = meta_labels(out) if method == "meta" else out.label
        return out.start, out.end, label, out.ret
    if method == "fixed_horizon":
        threshold = volatility(close, span) * np.sqrt(barriers.horizon) * 0.5
        out = fixed_horizon(close, barriers.horizon, threshold)
        return out.start, out.end, out.label, out.value
    if method == "trend_scanning":
        out = trend_scanning(close, range(5, max(barriers.horizon, 6) + 1))
        return out.start, out.end, out.label, out.value
    raise ValueError(f"method: unknown '{method}'; known: {', '.join(METHODS)}")


def label_bars(
    bars: pd.DataFrame,
    method: str = "triple_barrier",
    barriers: Barriers = DEFAULT_BARRIERS,
    span: int = 20,
) -> pd.DataFrame:
    """Labels for every symbol in ``bars`` (bar contract columns), sorted by symbol and t0."""
    frames = []
    for symbol, group in bars.sort_values(["symbol", "event_timestamp"]).groupby("symbol"):
        times = group["event_timestamp"].to_numpy()
        close = group["close"].to_numpy(dtype=np.float64)
        start, end, label, value = _symbol_labels(close, method, barriers, span)
        frames.append(
            pd.DataFrame(
                {
                    "symbol": symbol,
                    "t0": times[start],
                    "t1": times[end],
                    "label": label.astype(np.int64),
                    "weight": average_uniqueness(start, end, len(close)),
                    "value": value.astype(np.float64),
                }
            )
        )
    if not frames:
        return pd.DataFrame({c: [] for c in LABEL_COLUMNS})
    return pd.concat(frames, ignore_index=True)
