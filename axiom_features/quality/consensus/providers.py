"""Synthetic extra providers of the same bars, with controlled noise and disagreements.

Each provider sees the true bar times a small per-bar factor (``noise_bp`` basis points,
one factor for all four prices so OHLC order holds) and rounds to 4 decimals. On chosen rows
one provider is off by ``disagree_size`` (a known disagreement); some rows can be missing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

PRICES = ("open", "high", "low", "close")


@dataclass
class SyntheticProviders:
    frames: dict[str, pd.DataFrame]
    """Provider name → its bars (``source`` = the name)."""
    disagreements: pd.DataFrame
    """The injected disagreements: symbol, event_timestamp, provider, factor."""


def synthetic_providers(
    bars: pd.DataFrame,
    names: Sequence[str] = ("alpha", "beta", "gamma"),
    *,
    noise_bp: float = 2.0,
    disagree_rows: int = 0,
    disagree_size: float = 0.03,
    disagreeing: str | None = None,
    missing_share: float = 0.0,
    seed: int = 0,
) -> SyntheticProviders:
    """Copies of ``bars`` as seen by several providers (the first one exactly)."""
    rng = np.random.default_rng(seed)
    n = len(bars)
    frames: dict[str, pd.DataFrame] = {}
    for k, name in enumerate(names):
        frame = bars.copy()
        if k:
            factor = 1.0 + rng.normal(0.0, noise_bp / 1e4, n)
            frame[list(PRICES)] = np.round(frame[list(PRICES)].to_numpy() * factor[:, None], 4)
            frame["volume"] = np.round(frame["volume"] * (1.0 + rng.normal(0, 0.001, n)))
        frame["source"] = name
        frames[name] = frame
    target = disagreeing or names[-1]
    rows = np.sort(rng.choice(n, size=min(disagree_rows, n), replace=False))
    signs = rng.choice([-1.0, 1.0], size=len(rows))
    factors = 1.0 + signs * disagree_size
    off = frames[target]
    off.loc[off.index[rows], list(PRICES)] = np.round(
        off.loc[off.index[rows], list(PRICES)].to_numpy() * factors[:, None], 4
    )
    if missing_share:
        for name in names[1:]:
            keep = rng.random(n) >= missing_share
            frames[name] = frames[name][keep]
    truth = pd.DataFrame(
        {
            "symbol": bars["symbol"].to_numpy()[rows],
            "event_timestamp": bars["event_timestamp"].to_numpy()[rows],
            "provider": target,
            "factor": factors,
        }
    )
    return SyntheticProviders(frames=frames, disagreements=truth)
