"""A regime-labelling task with a known answer: closes driven by a hidden Markov regime
(bear, range, bull), and trailing-window features computed from those closes only."""

from __future__ import annotations

import numpy as np
import pandas as pd

REGIMES = (-1, 0, 1)
"""bear, range, bull."""


def regime_path(bars: int, seed: int, stay: float = 0.97) -> np.ndarray:
    """A Markov chain over :data:`REGIMES` that keeps its state with probability ``stay``."""
    rng = np.random.default_rng(seed)
    state = np.empty(bars, dtype=np.int64)
    state[0] = rng.integers(0, 3)
    switch = rng.random(bars) > stay
    jumps = rng.integers(1, 3, bars)
    for t in range(1, bars):
        state[t] = (state[t - 1] + jumps[t]) % 3 if switch[t] else state[t - 1]
    return np.asarray(REGIMES)[state]


def regime_bars(bars: int = 3000, seed: int = 0) -> pd.DataFrame:
    """Closes whose drift follows the regime (bear −0.4%, range 0, bull +0.4% a bar; range
    bars are calmer), with the true regime per bar."""
    rng = np.random.default_rng(seed + 1)
    regime = regime_path(bars, seed)
    drift = 0.004 * regime
    vol = np.where(regime == 0, 0.006, 0.012)
    close = 100 * np.exp(np.cumsum(drift + vol * rng.standard_normal(bars)))
    return pd.DataFrame({"bar": np.arange(bars), "close": close, "regime": regime})


def regime_features(close: np.ndarray, windows: tuple[int, ...] = (3, 5, 10, 20)) -> np.ndarray:
    """Trailing mean return and volatility over ``windows`` (NaN during warm-up)."""
    returns = pd.Series(close).pct_change()
    columns = []
    for w in windows:
        columns.append(returns.rolling(w).mean())
        columns.append(returns.rolling(w).std())
    return np.column_stack(columns)
