"""Risk features of one symbol's daily returns, and the market benchmark they share.

View ``risk``; ``r_t = C_t / C_{t-1} - 1`` are the symbol's simple daily returns and every
window counts returns, strictly trailing (the value at bar ``t`` reads returns ``t - w + 1
.. t``, so it needs ``w`` returns, i.e. ``w + 1`` closes). A window holding a missing return
gives NaN.

- Benchmark ``m_t``: by default the equal-weighted market return, the mean of the simple
  returns of every symbol of ``market`` that has a close at both that market row and the
  one before (the symbol itself included); no price is carried forward and no other row is
  read. Rows where fewer than two symbols have a return have no benchmark: a market of one
  symbol is the symbol itself (beta exactly 1.0), so beta is missing there. When the family
  is built with ``benchmark="SYM"`` and ``SYM`` is a column of ``market``, that symbol's
  returns are used instead (otherwise the equal-weighted return).
  Market returns are aligned to the bars by timestamp; a bar time missing from ``market``
  has no benchmark return.
- Beta: ``cov(r, m) / var(m)`` over 63 and 252 returns.
- Volatility: sample standard deviation (ddof 1) of ``r`` over 21, 63 and 252 returns,
  annualized by ``sqrt(252)``. Downside deviation: ``sqrt(mean(min(r, 0)^2))`` over 63
  returns (target 0, divisor 63), annualized the same way.
- Max drawdown: the largest fall from a running peak, ``max(1 - C_s / max_{u<=s} C_u)``,
  over the path of the last 252 returns (closes ``t - 252 .. t``), a fraction in [0, 1).
- Historical VaR and CVaR of daily returns at 95% and 99% over 252 returns, as positive
  loss numbers: VaR is minus the 5% (1%) quantile of ``r`` (linear interpolation between
  order statistics, numpy's default), CVaR minus the mean of the 13 (3) worst returns,
  ``ceil(252 * (1 - level))``. Neither is annualized or clipped at 0.
- Skewness and excess kurtosis of ``r`` over 63 returns, bias-corrected (pandas'
  ``rolling().skew()`` / ``.kurt()``, scipy's ``bias=False``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from transforms.estimators import compute_estimators, estimator_view
from transforms.family import SymbolInputs
from transforms.rolling import (
    FloatArray,
    PairSums,
    as_float,
    kurt_from_moments,
    lower_tail,
    place_newest,
    rolling_central_moments,
    rolling_cov,
    rolling_max_drawdown,
    rolling_mean,
    rolling_sorted,
    rolling_std,
    rolling_var,
    simple_returns,
    skew_from_moments,
)
from transforms.specs import ViewSpec

NAME = "risk"
VERSION = f"{NAME}-1"
VIEW_TTL = timedelta(days=7)
PERIODS_PER_YEAR = 252


# --- the market frame, shared with the regime family --------------------------------------


class MarketMemo:
    """Values derived from the last ``market`` frame seen; rebuilt when another frame comes.

    The transform job passes the same frame for every symbol, so market-wide work runs once
    per job. Frames are compared by identity (the memo holds a reference, so an identity is
    never reused while cached): a frame must not be mutated between calls.
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._frame: pd.DataFrame | None = None
        self._values: dict[Hashable, Any] = {}

    def get(self, market: pd.DataFrame, key: Hashable, build: Callable[[], Any]) -> Any:
        with self._lock:
            if market is not self._frame:
                self._frame, self._values = market, {}
            if key not in self._values:
                self._values[key] = build()
            return self._values[key]

    def clear(self) -> None:
        """Drop the cached frame and everything derived from it."""
        with self._lock:
            self._frame, self._values = None, {}


MARKET_MEMO = MarketMemo()


@dataclass(frozen=True)
class MarketReturns:
    """Simple returns of every symbol of a market frame, rows in time order."""

    times: np.ndarray
    """int64 nanoseconds since the epoch (UTC), increasing."""
    symbols: tuple[str, ...]
    returns: np.ndarray
    """``(times, symbols)`` float64; NaN where either close is missing."""
    equal_weight: np.ndarray
    """Mean of each row's available returns; NaN where none is."""


def to_nanoseconds(times: pd.Series | pd.Index) -> np.ndarray:
    """UTC timestamps as int64 nanoseconds since the epoch."""
    index = pd.DatetimeIndex(times)
    if index.tz is None:
        index = index.tz_localize("UTC")
    return index.tz_convert("UTC").as_unit("ns").asi8


def equal_weight(returns: np.ndarray) -> np.ndarray:
    """Row means of ``returns`` over the finite values only; NaN for an empty row."""
    valid = np.isfinite(returns)
    total = np.where(valid, returns, 0.0).sum(axis=1)
    count = valid.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / count, np.nan)


def _build_market_returns(market: pd.DataFrame) -> MarketReturns:
    if not market.index.is_monotonic_increasing:
        market = market.sort_index()
    closes = market.to_numpy(dtype=np.float64, na_value=np.nan)
    returns = np.full(closes.shape, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        returns[1:] = closes[1:] / closes[:-1] - 1.0
    returns[~np.isfinite(returns)] = np.nan
    return MarketReturns(
        times=to_nanoseconds(market.index),
        symbols=tuple(str(c) for c in market.columns),
        returns=returns,
        equal_weight=equal_weight(returns),
    )


def market_of_many(prepared: MarketReturns) -> np.ndarray:
    """The equal-weighted return where at least two symbols have one, else NaN.

    A market of one symbol is that symbol: its beta would be 1.0 by construction, so it is
    missing instead (see :func:`market_of_one`).
    """
    enough = np.isfinite(prepared.returns).sum(axis=1) >= 2
    return np.where(enough, prepared.equal_weight, np.nan)


def market_of_one(market: pd.DataFrame) -> bool:
    """Whether the market frame holds fewer than two symbols (beta needs a benchmark)."""
    return market.shape[1] < 2


def market_returns(market: pd.DataFrame) -> MarketReturns:
    """The market frame's returns, computed once per frame."""
    return MARKET_MEMO.get(market, "returns", lambda: _build_market_returns(market))


def align(times: np.ndarray, values: np.ndarray, at: np.ndarray) -> FloatArray:
    """``values`` (one per ``times``, increasing) at the times ``at``; NaN where absent."""
    positions = np.searchsorted(times, at)
    found = positions < len(times)
    found[found] = times[positions[found]] == at[found]
    out = np.full(np.shape(at), np.nan)
    out[found] = values[positions[found]]
    return out


def require_market(inputs: SymbolInputs, family: str) -> pd.DataFrame:
    if inputs.market is None:
        raise ValueError(f"family {family!r} needs the market frame; got none for {inputs.symbol}")
    return inputs.market


# --- the estimators ------------------------------------------------------------------------


class RiskInputs:
    """One symbol's closes and returns, and the benchmark returns at its bar times.

    ``newest``: when set, the estimators compute only the last ``newest`` rows; the others
    are NaN.
    """

    newest: int | None = None

    def __init__(self, inputs: SymbolInputs, benchmark: str | None) -> None:
        self.close = as_float(inputs.bars["close"].to_numpy(dtype=np.float64, na_value=np.nan))
        self.returns = simple_returns(self.close)
        self._inputs = inputs
        self._benchmark = benchmark
        self._cache: dict[Hashable, Any] = {}

    def cached(self, key: Hashable, build: Callable[[], Any]) -> Any:
        """``build()``, computed once per key for this symbol."""
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    @cached_property
    def benchmark(self) -> FloatArray:
        market = require_market(self._inputs, NAME)
        prepared = market_returns(market)
        if self._benchmark is not None and self._benchmark in prepared.symbols:
            series = prepared.returns[:, prepared.symbols.index(self._benchmark)]
        else:
            series = market_of_many(prepared)
        return align(prepared.times, series, to_nanoseconds(self._inputs.bars["event_timestamp"]))

    def tail(self, window: int, level: float) -> tuple[FloatArray, FloatArray]:
        """VaR and CVaR; the sorted windows are shared by every level."""
        ordered = self.cached(
            ("sorted", window), lambda: rolling_sorted(self.returns, window, self.newest)
        )
        n = np.shape(self.returns)[-1]
        return self.cached(
            ("tail", window, level),
            lambda: tuple(place_newest(v, n) for v in lower_tail(ordered, level)),
        )

    def moments(self, window: int) -> tuple[FloatArray, FloatArray, FloatArray]:
        return self.cached(
            ("moments", window),
            lambda: rolling_central_moments(self.returns, window, self.newest),
        )


def beta(ctx: RiskInputs, window: int) -> FloatArray:
    if ctx.newest is None:
        cov, variance = (
            rolling_cov(ctx.returns, ctx.benchmark, window),
            rolling_var(ctx.benchmark, window),
        )
    else:  # every window differences the same cumulative sums
        sums = ctx.cached("benchmark_sums", lambda: PairSums(ctx.returns, ctx.benchmark))
        cov, variance = sums.cov(window, ctx.newest), sums.var_y(window, ctx.newest)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = cov / variance
    out[~np.isfinite(out)] = np.nan
    return out


def volatility(ctx: RiskInputs, window: int, periods_per_year: float) -> FloatArray:
    return rolling_std(ctx.returns, window, newest=ctx.newest) * np.sqrt(periods_per_year)


def downside_deviation(ctx: RiskInputs, window: int, periods_per_year: float) -> FloatArray:
    downside = np.minimum(ctx.returns, 0.0)
    return np.sqrt(rolling_mean(downside * downside, window, ctx.newest) * periods_per_year)


def max_drawdown(ctx: RiskInputs, window: int) -> FloatArray:
    return rolling_max_drawdown(ctx.close, window + 1, ctx.newest)


def value_at_risk(ctx: RiskInputs, window: int, level: float) -> FloatArray:
    return ctx.tail(window, level)[0]


def conditional_value_at_risk(ctx: RiskInputs, window: int, level: float) -> FloatArray:
    return ctx.tail(window, level)[1]


def skewness(ctx: RiskInputs, window: int) -> FloatArray:
    m2, m3, _ = ctx.moments(window)
    return skew_from_moments(m2, m3, window)


def kurtosis(ctx: RiskInputs, window: int) -> FloatArray:
    m2, _, m4 = ctx.moments(window)
    return kurt_from_moments(m2, m4, window)


ESTIMATORS: dict[str, Callable[..., FloatArray]] = {
    f.__name__: f
    for f in (
        beta,
        volatility,
        downside_deviation,
        max_drawdown,
        value_at_risk,
        conditional_value_at_risk,
        skewness,
        kurtosis,
    )
}
"""Estimator name (``FeatureSpec.function``) to function of ``(inputs, **parameters)``."""


_VOL = {"periods_per_year": PERIODS_PER_YEAR}
_CLOSE = ("close",)
_WITH_MARKET = ("close", "market")

# name, function, inputs, parameters, warmup, description
_FEATURES: tuple[tuple[str, str, tuple[str, ...], dict[str, int | float], int, str], ...] = (
    ("risk_beta_63", "beta", _WITH_MARKET, {"window": 63}, 63,
     "Beta to the benchmark: cov(r, m) / var(m) over 63 daily returns"),
    ("risk_beta_252", "beta", _WITH_MARKET, {"window": 252}, 252,
     "Beta to the benchmark: cov(r, m) / var(m) over 252 daily returns"),
    ("risk_vol_21", "volatility", _CLOSE, {"window": 21, **_VOL}, 21,
     "Volatility: std(r, ddof=1) * sqrt(252) over 21 daily returns"),
    ("risk_vol_63", "volatility", _CLOSE, {"window": 63, **_VOL}, 63,
     "Volatility: std(r, ddof=1) * sqrt(252) over 63 daily returns"),
    ("risk_vol_252", "volatility", _CLOSE, {"window": 252, **_VOL}, 252,
     "Volatility: std(r, ddof=1) * sqrt(252) over 252 daily returns"),
    ("risk_downside_dev_63", "downside_deviation", _CLOSE, {"window": 63, **_VOL}, 63,
     "Downside deviation: sqrt(252 * mean(min(r, 0)^2)) over 63 daily returns"),
    ("risk_max_drawdown_252", "max_drawdown", _CLOSE, {"window": 252}, 252,
     "Max drawdown: max(1 - C_s / running max of C) over the path of the last 252 returns"),
    ("risk_var_95_252", "value_at_risk", _CLOSE, {"window": 252, "level": 0.95}, 252,
     "Historical VaR 95%: -quantile(r, 0.05) over 252 daily returns (positive loss)"),
    ("risk_cvar_95_252", "conditional_value_at_risk", _CLOSE, {"window": 252, "level": 0.95},
     252, "Historical CVaR 95%: -mean of the 13 worst of 252 daily returns (positive loss)"),
    ("risk_var_99_252", "value_at_risk", _CLOSE, {"window": 252, "level": 0.99}, 252,
     "Historical VaR 99%: -quantile(r, 0.01) over 252 daily returns (positive loss)"),
    ("risk_cvar_99_252", "conditional_value_at_risk", _CLOSE, {"window": 252, "level": 0.99},
     252, "Historical CVaR 99%: -mean of the 3 worst of 252 daily returns (positive loss)"),
    ("risk_skew_63", "skewness", _CLOSE, {"window": 63}, 63,
     "Skewness of r over 63 daily returns, bias-corrected (G1)"),
    ("risk_kurt_63", "kurtosis", _CLOSE, {"window": 63}, 63,
     "Excess kurtosis of r over 63 daily returns, bias-corrected (G2)"),
)  # fmt: skip


def risk_view(benchmark: str | None = None) -> ViewSpec:
    """The ``risk`` view; a configured benchmark shows in the beta inputs (``market:SYM``)."""
    market = "market" if benchmark is None else f"market:{benchmark}"
    return estimator_view(
        NAME,
        "Beta, volatility, drawdown and tail-risk estimators",
        _FEATURES,
        version=VERSION,
        ttl=VIEW_TTL,
        rename_input=lambda column: market if column == "market" else column,
    )


@dataclass(frozen=True)
class RiskFamily:
    """Risk estimators on one symbol's returns and a benchmark from the market frame.

    ``benchmark``: a symbol of the market frame to use as the benchmark instead of the
    equal-weighted market; it is part of the beta features' inputs (``market:SYM``), so it
    changes the view's version.
    """

    benchmark: str | None = None
    name: str = NAME
    needs: frozenset[str] = field(default_factory=lambda: frozenset({"market"}))

    def views(self) -> list[ViewSpec]:
        return [risk_view(self.benchmark)]

    def compute(self, views: Sequence[ViewSpec], inputs: SymbolInputs) -> pd.DataFrame:
        ctx = RiskInputs(inputs, self.benchmark)
        return compute_estimators(views, ESTIMATORS, ctx, inputs.bars.index)


RISK = RiskFamily()
