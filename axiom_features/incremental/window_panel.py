"""Microstructure, risk and regime for many symbols at once: one numpy panel per update.

The symbols an update touches are stacked into a ``(symbols, bars)`` panel: each symbol's
last ``TAIL_BARS + newest`` bars, right-aligned, NaN on the left where its history is
shorter. Every estimator of the three families is called once on (the last bars of) the
panel: the batch estimators themselves, whose window functions (:mod:`transforms.rolling`)
give each series of a panel the values they give that series alone, bit for bit; a NaN
before a series' first bar changes none of them. They compute only the ``newest`` rows.

An estimator reads only the panel's last ``lookback + newest`` bars, ``lookback`` the bars
its newest value reads (its warm-up rows and the bar itself); features of one family with
the same lookback share one context (and its cached windows). The estimators whose value
is a small difference of window sums (:data:`CANCELLING`) read the whole panel: their
window sums then add the same values in the same order as the batch's whenever the history
fits in the panel, so the difference keeps the batch's bits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, cached_property

import numpy as np
import pandas as pd

from axiom_features.incremental.bar_history import OHLCV, BarHistory
from axiom_features.incremental.window_families import MarketTail
from transforms import microstructure, regime, risk
from transforms.families import family_named
from transforms.rolling import FloatArray, simple_returns
from transforms.specs import FeatureSpec, ViewSpec

NO_TIME = np.iinfo(np.int64).min
"""Time of a panel cell before a symbol's first bar (never a market row's time)."""


@dataclass(frozen=True)
class Panel:
    """The newest bars of several symbols, right-aligned: row ``i`` is ``symbols[i]``."""

    symbols: list[str]
    times: np.ndarray
    """``(symbols, bars)`` int64 nanoseconds, :data:`NO_TIME` before a symbol's first bar."""
    columns: dict[str, np.ndarray]
    """OHLCV, each ``(symbols, bars)`` float64, NaN before a symbol's first bar."""


CANCELLING: frozenset[str] = frozenset(
    {
        "roll_spread",
        "clv_volume_share",
        "body_range",
        "beta",
        "trend_distance",
        "trend_code",
        "market_correlation",
    }
)
"""Estimators whose value is a small difference of window sums (covariances, signed means,
distances to a mean): evaluated on the whole panel."""


def lookback(feature: FeatureSpec) -> int | None:
    """Bars the newest value of ``feature`` reads (its warm-up rows and the bar itself);
    None for :data:`CANCELLING` estimators, which read the whole panel."""
    return None if feature.function in CANCELLING else feature.warmup + 1


def tail(panel: Panel, length: int) -> Panel:
    """The last ``length`` bars of ``panel`` (views; all of it when shorter)."""
    if length >= panel.times.shape[1]:
        return panel
    columns = {name: c[:, -length:] for name, c in panel.columns.items()}
    return Panel(panel.symbols, panel.times[:, -length:], columns)


def build_panel(symbols: Sequence[str], histories: Sequence[BarHistory], length: int) -> Panel:
    """The last ``length`` bars of each history (fewer when it is shorter), right-aligned."""
    count = len(histories)
    times = np.full((count, length), NO_TIME, dtype=np.int64)
    columns = {name: np.full((count, length), np.nan) for name in OHLCV}
    for row, history in enumerate(histories):
        start = max(0, history.size - length)
        width = history.size - start
        times[row, length - width :] = history.times(start)
        for name, values in history.arrays(start).items():
            columns[name][row, length - width :] = values
    return Panel(list(symbols), times, columns)


class _PanelBars(microstructure.Bars):
    """Microstructure's bar context over a panel."""

    def __init__(self, panel: Panel, newest: int) -> None:
        c = panel.columns
        self.open, self.high, self.low, self.close, self.volume = (
            c["open"],
            c["high"],
            c["low"],
            c["close"],
            c["volume"],
        )
        self.newest = newest


class _PanelRisk(risk.RiskInputs):
    """Risk's context over a panel: the benchmark read at every cell's time."""

    def __init__(
        self, panel: Panel, market: pd.DataFrame, benchmark: str | None, newest: int
    ) -> None:
        self.close = panel.columns["close"]
        self.returns = simple_returns(self.close)
        self._benchmark = benchmark
        self._cache = {}
        self._times = panel.times
        self._market = market
        self.newest = newest

    @cached_property
    def benchmark(self) -> FloatArray:
        prepared = risk.market_returns(self._market)
        if self._benchmark is not None and self._benchmark in prepared.symbols:
            series = prepared.returns[:, prepared.symbols.index(self._benchmark)]
        else:
            series = risk.market_of_many(prepared)
        return risk.align(prepared.times, series, self._times)


class _PanelRegime(regime.RegimeInputs):
    """Regime's context over a panel; the market's correlations come from the market tail,
    which recomputes only the rows a change reaches."""

    def __init__(self, panel: Panel, market: MarketTail, newest: int) -> None:
        self.close = panel.columns["close"]
        self.returns = simple_returns(self.close)
        self._cache = {}
        self.times = panel.times
        self.market = market.frame
        self.newest = newest
        for window in _correlation_windows():
            regime.MARKET_MEMO.get(
                self.market,
                ("correlation_mean", window),
                lambda window=window: market.correlation_mean(window),
            )


def prepare_market(market: MarketTail) -> None:
    """Compute the market's correlations now (a warm state answers its first bars sooner)."""
    for window in _correlation_windows():
        market.correlation_mean(window)


@cache
def _correlation_windows() -> frozenset[int]:
    """Windows of the regime features that read the market's mean pairwise correlation."""
    return frozenset(
        int(f.parameters["window"])
        for f in regime.regime_view().features
        if f.function in ("correlation_mean", "correlation_rank", "correlation_code")
    )


def _context(family: str, panel: Panel, market: MarketTail | None, newest: int) -> object:
    if family == microstructure.NAME:
        return _PanelBars(panel, newest)
    if market is None:
        raise ValueError(f"family {family!r} needs the market frame")
    if family == risk.NAME:
        benchmark = getattr(family_named(family), "benchmark", None)
        return _PanelRisk(panel, market.frame, benchmark, newest)
    if family == regime.NAME:
        return _PanelRegime(panel, market, newest)
    raise ValueError(f"family {family!r} is not evaluated on panels")


ESTIMATORS = {
    microstructure.NAME: microstructure.ESTIMATORS,
    risk.NAME: risk.ESTIMATORS,
    regime.NAME: regime.ESTIMATORS,
}


def panel_rows(
    groups: dict[str, list[ViewSpec]],
    panel: Panel,
    market: MarketTail | None,
    newest: int,
    only: set[str] | None = None,
) -> dict[str, np.ndarray]:
    """Every feature of ``groups`` (views by family; those named in ``only`` when given) on
    the last ``newest`` bars of the panel: ``(symbols, newest)`` per feature name."""
    columns: dict[str, np.ndarray] = {}
    for family, views in groups.items():
        features = [f for v in views for f in v.features if only is None or f.name in only]
        if not features:
            continue
        for length, chosen in _by_length(features, panel, newest).items():
            columns.update(_family_rows(family, chosen, tail(panel, length), market, newest))
    return columns


def _by_length(
    features: list[FeatureSpec], panel: Panel, newest: int
) -> dict[int, list[FeatureSpec]]:
    """``features`` grouped by the bars of ``panel`` their ``newest`` rows read."""
    width = panel.times.shape[1]
    groups: dict[int, list[FeatureSpec]] = {}
    for feature in features:
        bars = lookback(feature)
        groups.setdefault(width if bars is None else min(width, bars + newest), []).append(feature)
    return groups


def _family_rows(
    family: str,
    features: list[FeatureSpec],
    panel: Panel,
    market: MarketTail | None,
    newest: int,
) -> dict[str, np.ndarray]:
    """``features`` of ``family`` on one context over ``panel``: the last ``newest`` rows."""
    context = _context(family, panel, market, newest)
    estimators = ESTIMATORS[family]
    columns: dict[str, np.ndarray] = {}
    with np.errstate(all="ignore"):
        for feature in features:
            values = estimators[feature.function](context, **feature.parameters)
            columns[feature.name] = np.asarray(values, dtype=np.float64)[:, -newest:]
    return columns
