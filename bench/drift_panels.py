"""Synthetic market panels for the drift benchmark: normal market behaviour and known faults.

Prices follow a one-factor model: a market return (trend and volatility regime shared by
every symbol) times a beta, plus fat-tailed idiosyncratic noise. History holds the normal
events a year of markets brings (volatility spikes, trending months, four earnings seasons,
quarter ends); the four checked windows hold one each:

===== =========================== ==================================================
W1    volatility spike, year end   market volatility x2 for ten sessions
W2    earnings season              Q4 filings arrive (filing lag 25-45 days)
W3    trending month               the market drifts +0.4% a session (~+8%)
W4    quarter end                  March 31; every fault below is injected here
===== =========================== ==================================================

Faults (each its own case, each on a copy of the clean panel): volume unit change (x100),
a stale price feed, unadjusted splits, a missing-value burst in one view, a news source
outage, a fundamentals restatement wave, a timezone shift of the bars.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from axiom_features.calendar import session_closes
from axiom_features.synthetic.bars import symbol_names
from axiom_features.synthetic.fundamentals import generate_fundamentals, price_levels_of
from axiom_features.synthetic.news import generate_news
from transforms.families import FAMILIES
from transforms.family import Family, SymbolInputs

WORKERS = int(os.environ.get("DRIFT_WORKERS", "2"))
"""Processes computing a panel's features."""

END = datetime(2026, 4, 17, 22, 0, tzinfo=UTC)
WINDOW = 20
REFERENCE_CHUNKS = 12
REFERENCE = WINDOW * REFERENCE_CHUNKS
CHECKED_WINDOWS = 4
WARMUP = 300
SESSIONS = WARMUP + REFERENCE + WINDOW * CHECKED_WINDOWS
"""Sessions of a panel: warm-up of the longest features, the reference, the windows."""
VOL_SPIKES = (100, 230, 380, 470, WARMUP + REFERENCE + 5)
"""First sessions of ten-session spells of doubled market volatility (the last in W1)."""
TRENDS = ((150, 0.004), (320, -0.004), (430, 0.004), (WARMUP + REFERENCE + 2 * WINDOW, 0.004))
"""(first session, drift per session) of twenty-session trending months (the last is W3)."""


def window_sessions(k: int) -> tuple[int, int]:
    """[first, end) session numbers of checked window ``k`` (0-based)."""
    first = WARMUP + REFERENCE + k * WINDOW
    return first, first + WINDOW


@dataclass
class Panel:
    """Bars, news and filings of every symbol, and the features of every view."""

    bars: pd.DataFrame
    news: pd.DataFrame
    fundamentals: pd.DataFrame
    features: dict[str, pd.DataFrame]
    """Per view: symbol, event_timestamp and the view's features."""

    @property
    def closes(self) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(self.bars["event_timestamp"].drop_duplicates().sort_values())


def market_bars(symbols: int, seed: int = 11) -> pd.DataFrame:
    """OHLCV bars of ``symbols`` over :data:`SESSIONS` sessions ending at :data:`END`."""
    rng = np.random.default_rng(seed)
    closes = session_closes(END, SESSIONS)
    n = len(closes)
    regime = np.ones(n)
    for first in VOL_SPIKES:
        regime[first : first + 10] = np.linspace(2.0, 1.3, 10)
    trend = np.zeros(n)
    for first, drift in TRENDS:
        trend[first : first + WINDOW] = drift
    market = trend + 0.009 * regime * rng.standard_normal(n)
    names = symbol_names(symbols)
    beta = rng.uniform(0.6, 1.4, symbols)
    idio_vol = rng.uniform(0.008, 0.025, symbols)
    noise = rng.standard_t(5, (symbols, n)) / np.sqrt(5 / 3)
    returns = beta[:, None] * market[None, :] + idio_vol[:, None] * regime[None, :] * noise
    start = np.exp(rng.uniform(np.log(10.0), np.log(500.0), symbols))
    close = start[:, None] * np.exp(np.cumsum(returns, axis=1))
    previous = np.concatenate([start[:, None], close[:, :-1]], axis=1)
    day_vol = np.sqrt(
        beta[:, None] ** 2 * (0.009 * regime) ** 2 + (idio_vol[:, None] * regime) ** 2
    )
    open_ = previous * np.exp(0.3 * returns + 0.2 * day_vol * rng.standard_normal((symbols, n)))
    reach = day_vol * np.abs(rng.normal(0.8, 0.3, (symbols, n))) * 0.5
    high = np.maximum(open_, close) * np.exp(np.abs(rng.standard_normal((symbols, n))) * reach)
    low = np.minimum(open_, close) * np.exp(-np.abs(rng.standard_normal((symbols, n))) * reach)
    level = np.exp(rng.uniform(np.log(2e5), np.log(2e7), symbols))
    persistent = np.zeros((symbols, n))
    shocks = rng.normal(0.0, 0.25, (symbols, n))
    for t in range(1, n):
        persistent[:, t] = 0.6 * persistent[:, t - 1] + shocks[:, t]
    move = np.abs(returns) / day_vol
    volume = np.round(level[:, None] * np.exp(persistent) * (0.6 + 0.4 * move) * regime[None, :])
    frame = pd.DataFrame(
        {
            "symbol": np.repeat(names, n),
            "event_timestamp": np.tile(closes.astype("datetime64[us, UTC]"), symbols),
            "open": np.round(open_, 4).ravel(),
            "high": np.round(high, 4).ravel(),
            "low": np.round(low, 4).ravel(),
            "close": np.round(close, 4).ravel(),
            "volume": volume.ravel().astype(np.float64),
        }
    )
    return frame


def build_panel(symbols: int, seed: int = 11) -> Panel:
    """A clean panel with every view's features."""
    bars = market_bars(symbols, seed)
    names = sorted(bars["symbol"].unique())
    closes = pd.DatetimeIndex(bars["event_timestamp"].drop_duplicates().sort_values())
    news = generate_news(names, closes, seed=seed, bars=bars)
    filings = generate_fundamentals(
        names,
        start=closes[0] - pd.Timedelta(days=550),
        end=END,
        seed=seed,
        price_levels=price_levels_of(bars),
    )
    panel = Panel(bars, news, filings, {})
    print(f"  features of {len(names)} symbols x {len(closes)} sessions", flush=True)
    panel.features = compute_features(panel, FAMILIES, names)
    return panel


def compute_features(
    panel: Panel, families: Sequence[Family], symbols: Sequence[str], workers: int = WORKERS
) -> dict[str, pd.DataFrame]:
    """The views of ``families`` for ``symbols``, keyed by view (``workers`` fresh
    processes, each a share of the symbols, when there are many)."""
    if workers <= 1 or len(symbols) < 50:
        return _compute(panel, [f.name for f in families], list(symbols))
    from bench.common import SPAWN

    shares = [list(symbols)[i::workers] for i in range(workers)]
    names = [f.name for f in families]
    with SPAWN.Pool(workers) as pool:
        parts = pool.starmap(_compute, [(panel, names, share) for share in shares])
    return {view: pd.concat([p[view] for p in parts], ignore_index=True) for view in parts[0]}


def _compute(panel: Panel, family_names: list[str], symbols: list[str]) -> dict[str, pd.DataFrame]:
    from transforms.families import family_named

    families = [family_named(name) for name in family_names]
    market = panel.bars.pivot(index="event_timestamp", columns="symbol", values="close")
    bars = {s: g.reset_index(drop=True) for s, g in panel.bars.groupby("symbol", sort=False)}
    news = {s: g.reset_index(drop=True) for s, g in panel.news.groupby("symbol", sort=False)}
    filings = {
        s: g.sort_values("filing_timestamp", kind="stable").reset_index(drop=True)
        for s, g in panel.fundamentals.groupby("symbol", sort=False)
    }
    out: dict[str, list[pd.DataFrame]] = {}
    for family in families:
        views = family.views()
        for symbol in symbols:
            b = bars[symbol]
            inputs = SymbolInputs(
                symbol,
                b,
                fundamentals=filings.get(symbol, panel.fundamentals.iloc[:0]),
                news=news.get(symbol, panel.news.iloc[:0]),
                market=market,
            )
            values = family.compute(views, inputs)
            for view in views:
                frame = values[view.feature_names].copy()
                frame.insert(0, "event_timestamp", b["event_timestamp"].to_numpy())
                frame.insert(0, "symbol", symbol)
                out.setdefault(view.name, []).append(frame)
    return {view: pd.concat(frames, ignore_index=True) for view, frames in out.items()}


def replace_features(
    base: dict[str, pd.DataFrame], new: dict[str, pd.DataFrame]
) -> dict[str, pd.DataFrame]:
    """``base`` with the rows of ``new`` (same symbols and times) put in their place."""
    merged = dict(base)
    for view, frame in new.items():
        symbols = set(frame["symbol"])
        kept = base[view][~base[view]["symbol"].isin(symbols)]
        merged[view] = pd.concat([kept, frame], ignore_index=True)
    return merged
