"""Regime features: the symbol's volatility and trend regimes and the market's correlation regime.

View ``regime``; ``r_t`` are simple daily returns, every window strictly trailing. Codes are
float64 (NaN until defined) so they sit in the same table as the other features.

- Volatility regime: ``v_t`` the 21-return realized volatility (sample std; annualizing
  would not change its rank); its percentile rank among the last 252 values of ``v``
  (average rank of ties / 252, in (0, 1]); code 0 (low) when the rank <= 1/3, 2 (high)
  when > 2/3, else 1.
- Trend regime: distance to the 200-bar simple moving average ``C_t / SMA200_t - 1``; the
  sign of the 50-bar SMA's one-bar slope ``SMA50_t - SMA50_{t-1}``, which equals the sign of
  ``C_t - C_{t-50}`` and is computed that way (exact, no rounding noise); code 1 (up) when
  the close is above its SMA200 and the SMA50 rises, -1 (down) when below and falling,
  else 0. ADX trend strength is already in the catalogue (TA-Lib ``adx_14``, ``adx_28``).
- Correlation regime, market-wide (the same value for every symbol at a time): the mean
  pairwise Pearson correlation of the daily returns of the market's symbols over the last
  63 market rows, among the symbols with 63 returns in the window and a non-zero variance
  (NaN with fewer than 2). It uses the identity ``mean corr = (var(sum_i z_i) - N) /
  (N (N - 1))`` on returns standardized within the window (``z``, sample std), so it costs
  O(rows x symbols x 63) rather than O(symbols^2) per row, and is computed once per market
  frame (see :class:`transforms.risk.MarketMemo`). Its percentile rank among its last 252
  values, and code 0/1/2 at the thresholds 1/3 and 2/3 as for volatility.
- The symbol's own correlation to the equal-weighted market return (see
  :mod:`transforms.risk`) over 63 returns.

Market-wide values are computed on the market's rows and read at the bar's timestamp; their
warm-up counts market rows, which equals bars on a gap-free calendar.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property

import numpy as np
import pandas as pd

from transforms.estimators import compute_estimators, estimator_view
from transforms.family import SymbolInputs
from transforms.risk import (
    MARKET_MEMO,
    align,
    market_returns,
    require_market,
    to_nanoseconds,
)
from transforms.rolling import (
    FloatArray,
    as_float,
    lag,
    rolling_corr,
    rolling_mean,
    rolling_pct_rank,
    rolling_std,
    safe_divide,
    simple_returns,
)
from transforms.specs import ViewSpec

NAME = "regime"
VERSION = f"{NAME}-1"
VIEW_TTL = timedelta(days=7)
LOW = 1.0 / 3.0
HIGH = 2.0 / 3.0


def regime_code(rank: FloatArray, low: float, high: float) -> FloatArray:
    """0 where ``rank <= low``, 2 where ``rank > high``, else 1; NaN where ``rank`` is NaN."""
    code = np.where(rank <= low, 0.0, np.where(rank > high, 2.0, 1.0))
    code[np.isnan(rank)] = np.nan
    return code


def mean_pairwise_correlation(returns: np.ndarray, window: int) -> FloatArray:
    """Per row, the mean pairwise correlation of the columns over the last ``window`` rows.

    Only columns complete over the window and not constant in it take part; NaN when fewer
    than two do, and on the first ``window - 1`` rows.
    """
    rows, _ = returns.shape
    out = np.full(rows, np.nan)
    if rows < window:
        return out
    valid = np.isfinite(returns)
    filled = np.where(valid, returns, 0.0)

    def window_sums(x: np.ndarray) -> np.ndarray:
        cumulative = np.concatenate((np.zeros((1, x.shape[1])), np.cumsum(x, axis=0)))
        return cumulative[window:] - cumulative[:-window]

    count = window_sums(valid.astype(np.float64))
    total, squares = window_sums(filled), window_sums(filled * filled)
    mean = total / window
    variance = (squares - total * mean) / (window - 1)
    eligible = (count > window - 0.5) & (variance > 1e-14 * np.maximum(squares / window, 1e-300))
    scale = np.where(eligible, 1.0 / np.sqrt(np.where(eligible, variance, 1.0)), 0.0)
    offset = np.einsum("mn,mn->m", mean, scale)
    windows = rows - window + 1
    summed = np.empty((windows, window))
    for k in range(window):
        summed[:, k] = np.einsum("mn,mn->m", filled[k : k + windows], scale) - offset
    summed -= summed.mean(axis=1, keepdims=True)
    sum_variance = np.einsum("mk,mk->m", summed, summed) / (window - 1)
    n = eligible.sum(axis=1).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        average = np.where(n >= 2, (sum_variance - n) / (n * (n - 1.0)), np.nan)
    out[window - 1 :] = average
    return out


def market_correlation_mean(market: pd.DataFrame, window: int) -> tuple[np.ndarray, FloatArray]:
    """Market rows' times and mean pairwise correlation, computed once per market frame."""

    def build() -> tuple[np.ndarray, FloatArray]:
        prepared = market_returns(market)
        return prepared.times, mean_pairwise_correlation(prepared.returns, window)

    return MARKET_MEMO.get(market, ("correlation_mean", window), build)


def market_correlation_rank(
    market: pd.DataFrame, window: int, rank_window: int
) -> tuple[np.ndarray, FloatArray]:
    """Market rows' times and the correlation's percentile rank, once per market frame."""

    def build() -> tuple[np.ndarray, FloatArray]:
        times, mean = market_correlation_mean(market, window)
        return times, rolling_pct_rank(mean, rank_window)

    return MARKET_MEMO.get(market, ("correlation_rank", window, rank_window), build)


class RegimeInputs:
    """One symbol's closes and returns, and access to the market at its bar times.

    ``newest``: when set, the symbol's percentile ranks, trend distances and correlations to
    the market compute only the last ``newest`` rows; the others are NaN.
    """

    newest: int | None = None

    def __init__(self, inputs: SymbolInputs) -> None:
        self.close = as_float(inputs.bars["close"].to_numpy(dtype=np.float64, na_value=np.nan))
        self.returns = simple_returns(self.close)
        self._inputs = inputs
        self._cache: dict[tuple, FloatArray] = {}

    def cached(self, key: tuple, build: Callable[[], FloatArray]) -> FloatArray:
        """``build()``, computed once per key for this symbol."""
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    @cached_property
    def times(self) -> np.ndarray:
        return to_nanoseconds(self._inputs.bars["event_timestamp"])

    @cached_property
    def market(self) -> pd.DataFrame:
        return require_market(self._inputs, NAME)

    def at_bars(self, market_values: tuple[np.ndarray, FloatArray]) -> FloatArray:
        """Market-row values read at this symbol's bar times (NaN where absent)."""
        times, values = market_values
        return align(times, values, self.times)


def vol_rank(ctx: RegimeInputs, window: int, rank_window: int) -> FloatArray:
    return ctx.cached(
        ("vol_rank", window, rank_window),
        lambda: rolling_pct_rank(rolling_std(ctx.returns, window), rank_window, ctx.newest),
    )


def vol_code(
    ctx: RegimeInputs, window: int, rank_window: int, low: float, high: float
) -> FloatArray:
    return regime_code(vol_rank(ctx, window, rank_window), low, high)


def trend_distance(ctx: RegimeInputs, window: int) -> FloatArray:
    return ctx.cached(
        ("trend_distance", window),
        lambda: safe_divide(ctx.close, rolling_mean(ctx.close, window, ctx.newest)) - 1.0,
    )


def sma_slope_sign(ctx: RegimeInputs, window: int) -> FloatArray:
    return ctx.cached(
        ("sma_slope_sign", window), lambda: np.sign(ctx.close - lag(ctx.close, window))
    )


def trend_code(ctx: RegimeInputs, window: int, slope_window: int) -> FloatArray:
    distance, slope = trend_distance(ctx, window), sma_slope_sign(ctx, slope_window)
    code = np.where((distance > 0) & (slope > 0), 1.0, 0.0)
    code[(distance < 0) & (slope < 0)] = -1.0
    code[np.isnan(distance) | np.isnan(slope)] = np.nan
    return code


def correlation_mean(ctx: RegimeInputs, window: int) -> FloatArray:
    return ctx.at_bars(market_correlation_mean(ctx.market, window))


def correlation_rank(ctx: RegimeInputs, window: int, rank_window: int) -> FloatArray:
    return ctx.cached(
        ("correlation_rank", window, rank_window),
        lambda: ctx.at_bars(market_correlation_rank(ctx.market, window, rank_window)),
    )


def correlation_code(
    ctx: RegimeInputs, window: int, rank_window: int, low: float, high: float
) -> FloatArray:
    return regime_code(correlation_rank(ctx, window, rank_window), low, high)


def market_correlation(ctx: RegimeInputs, window: int) -> FloatArray:
    prepared = market_returns(ctx.market)
    market = ctx.at_bars((prepared.times, prepared.equal_weight))
    return rolling_corr(ctx.returns, market, window, ctx.newest)


ESTIMATORS: dict[str, Callable[..., FloatArray]] = {
    f.__name__: f
    for f in (
        vol_rank,
        vol_code,
        trend_distance,
        sma_slope_sign,
        trend_code,
        correlation_mean,
        correlation_rank,
        correlation_code,
        market_correlation,
    )
}
"""Estimator name (``FeatureSpec.function``) to function of ``(inputs, **parameters)``."""

_VOL = {"window": 21, "rank_window": 252}
_CORR = {"window": 63, "rank_window": 252}
_CODE = {"low": LOW, "high": HIGH}
_CLOSE = ("close",)
_MARKET = ("market",)

# name, function, inputs, parameters, warmup, description
_FEATURES: tuple[tuple[str, str, tuple[str, ...], dict[str, int | float], int, str], ...] = (
    ("regime_vol_rank_21_252", "vol_rank", _CLOSE, _VOL, 21 + 251,
     "Percentile rank of 21-return realized vol among its last 252 values, (0, 1]"),
    ("regime_vol_code", "vol_code", _CLOSE, {**_VOL, **_CODE}, 21 + 251,
     "Volatility regime: 0 if vol rank <= 1/3, 2 if > 2/3, else 1"),
    ("regime_trend_dist_sma200", "trend_distance", _CLOSE, {"window": 200}, 199,
     "Distance to the 200-bar SMA: close / SMA200 - 1"),
    ("regime_trend_slope_sma50", "sma_slope_sign", _CLOSE, {"window": 50}, 50,
     "Sign of the 50-bar SMA's one-bar slope = sign(C_t - C_t-50): -1, 0 or 1"),
    ("regime_trend_code", "trend_code", _CLOSE, {"window": 200, "slope_window": 50}, 199,
     "Trend regime: 1 if C > SMA200 and SMA50 rising, -1 if C < SMA200 and falling, else 0"),
    ("regime_corr_mean_63", "correlation_mean", _MARKET, {"window": 63}, 63,
     "Market-wide mean pairwise correlation of daily returns over 63 market rows"),
    ("regime_corr_rank_63_252", "correlation_rank", _MARKET, _CORR, 63 + 251,
     "Percentile rank of the market's mean pairwise correlation among its last 252 values"),
    ("regime_corr_code", "correlation_code", _MARKET, {**_CORR, **_CODE}, 63 + 251,
     "Correlation regime: 0 if correlation rank <= 1/3, 2 if > 2/3, else 1"),
    ("regime_corr_to_market_63", "market_correlation", ("close", "market"), {"window": 63}, 63,
     "Correlation of the symbol's returns to the equal-weighted market return, 63 returns"),
)  # fmt: skip


def regime_view() -> ViewSpec:
    """The ``regime`` view."""
    return estimator_view(
        NAME,
        "Volatility, trend and correlation regime features",
        _FEATURES,
        version=VERSION,
        ttl=VIEW_TTL,
    )


@dataclass(frozen=True)
class RegimeFamily:
    """Regime features from one symbol's closes and the market frame."""

    name: str = NAME
    needs: frozenset[str] = field(default_factory=lambda: frozenset({"market"}))

    def views(self) -> list[ViewSpec]:
        return [regime_view()]

    def compute(self, views: Sequence[ViewSpec], inputs: SymbolInputs) -> pd.DataFrame:
        ctx = RegimeInputs(inputs)
        return compute_estimators(views, ESTIMATORS, ctx, inputs.bars.index)


REGIME = RegimeFamily()
