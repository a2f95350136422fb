"""Microstructure features from daily OHLCV bars: liquidity, spreads, range volatility, flow.

View ``microstructure``, every window 21 bars and strictly trailing: the value at bar ``t``
reads bars ``t - 20 .. t``, plus the closes before them that its daily terms need (bar
``t - 21`` for returns and gaps, ``t - 22`` for Roll's lagged price change). A window
holding a missing or non-finite input gives NaN. Notation: ``O, H, L, C, V`` the bar's
open, high, low, close and volume, ``r_t = C_t / C_{t-1} - 1``.

- Amihud illiquidity: mean of ``|r_t| / (C_t V_t)``, scaled by 1e6 (return per million of
  dollar volume); a bar with zero volume has no value, so its windows are NaN.
- Roll spread, signed variant: with ``c`` the sample autocovariance of log-close changes
  ``cov(dp_t, dp_{t-1})`` over the window, ``2 sqrt(-c)`` when ``c < 0`` and ``-2 sqrt(c)``
  otherwise. Roll's estimator is undefined for ``c >= 0``; the signed variant keeps every
  row defined, a negative value flagging a window where the bid-ask bounce model does not
  hold. Log prices make it a fraction of price, comparable across symbols.
- Corwin-Schultz (2012) two-day high-low spread: per pair of bars ``(t-1, t)``, bar ``t``'s
  high and low are first shifted by any overnight gap outside its range (the paper's
  adjustment), then ``beta = ln(H_{t-1}/L_{t-1})^2 + ln(H_t/L_t)^2``,
  ``gamma = ln(max H / min L over both bars)^2``,
  ``alpha = (sqrt(2 beta) - sqrt(beta)) / (3 - 2 sqrt 2) - sqrt(gamma / (3 - 2 sqrt 2))``,
  ``S = 2 (e^alpha - 1) / (1 + e^alpha)``; negative estimates are set to 0 as in the paper,
  then averaged over the window.
- Range volatilities, annualized by ``sqrt(252 * daily variance)``: Parkinson
  ``ln(H/L)^2 / (4 ln 2)``; Garman-Klass ``0.5 ln(H/L)^2 - (2 ln 2 - 1) ln(C/O)^2``;
  Rogers-Satchell ``ln(H/C) ln(H/O) + ln(L/C) ln(L/O)`` (each averaged over the window);
  Yang-Zhang ``var(ln O_t/C_{t-1}) + k var(ln C/O) + (1 - k) RS`` with sample variances
  (ddof 1) over the window and ``k = 0.34 / (1.34 + (n + 1) / (n - 1))``, ``n = 21``.
- Flow: close-location value ``CLV = ((C - L) - (H - C)) / (H - L)`` (0 when ``H = L``),
  signed-volume share ``sum(CLV V) / sum(V)``; up-volume share ``sum(V [C_t > C_{t-1}]) /
  sum(V)``; body-to-range ``(C - O) / (H - L)`` (0 when ``H = L``), averaged.
- Activity: dollar volume ``C V`` averaged; relative volume ``V_t / mean(V)`` over the
  window that ends at (and includes) bar ``t``.
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
from transforms.rolling import (
    FloatArray,
    as_float,
    lag,
    log_ratio,
    rolling_cov,
    rolling_mean,
    rolling_sum,
    rolling_var,
    safe_divide,
    simple_returns,
)
from transforms.specs import ViewSpec

NAME = "microstructure"
VERSION = f"{NAME}-1"
VIEW_TTL = timedelta(days=7)
PERIODS_PER_YEAR = 252
WINDOW = 21
_CS_DENOMINATOR = 3.0 - 2.0 * np.sqrt(2.0)


class Bars:
    """One symbol's OHLCV as float64 arrays, with the derived series the estimators share.

    ``newest``: when set, the estimators compute only the last ``newest`` rows; the others
    are NaN.
    """

    newest: int | None = None

    def __init__(self, bars: pd.DataFrame) -> None:
        self.open, self.high, self.low, self.close, self.volume = (
            as_float(bars[c].to_numpy(dtype=np.float64, na_value=np.nan))
            for c in ("open", "high", "low", "close", "volume")
        )

    @cached_property
    def log_high_low(self) -> FloatArray:
        return log_ratio(self.high, self.low)

    @cached_property
    def log_close_open(self) -> FloatArray:
        return log_ratio(self.close, self.open)

    @cached_property
    def returns(self) -> FloatArray:
        return simple_returns(self.close)

    @cached_property
    def range(self) -> FloatArray:
        return self.high - self.low

    @cached_property
    def rogers_satchell_terms(self) -> FloatArray:
        h, lo, c, o = self.high, self.low, self.close, self.open
        return log_ratio(h, c) * log_ratio(h, o) + log_ratio(lo, c) * log_ratio(lo, o)


def _annualized(variance: FloatArray, periods_per_year: float) -> FloatArray:
    return np.sqrt(variance * periods_per_year)


def _in_range(numerator: FloatArray, bar_range: FloatArray) -> FloatArray:
    """``numerator / range``, 0 on bars with no range."""
    out = safe_divide(numerator, bar_range)
    out[bar_range == 0] = 0.0
    return out


def amihud(bars: Bars, window: int, scale: float) -> FloatArray:
    daily = safe_divide(np.abs(bars.returns), bars.close * bars.volume) * scale
    return rolling_mean(daily, window, bars.newest)


def roll_spread(bars: Bars, window: int) -> FloatArray:
    change = np.diff(np.log(bars.close), prepend=np.nan)
    cov = rolling_cov(change, lag(change), window, newest=bars.newest)
    return np.where(cov < 0, 2.0 * np.sqrt(np.abs(cov)), -2.0 * np.sqrt(np.abs(cov)))


def corwin_schultz_daily(bars: Bars) -> FloatArray:
    """The two-day spread estimate of each pair ``(t-1, t)``, floored at 0; NaN on bar 0."""
    prev_close, prev_high, prev_low = lag(bars.close), lag(bars.high), lag(bars.low)
    gap = np.maximum(bars.low - prev_close, 0.0) - np.maximum(prev_close - bars.high, 0.0)
    high, low = bars.high - gap, bars.low - gap
    beta = log_ratio(prev_high, prev_low) ** 2 + log_ratio(high, low) ** 2
    gamma = log_ratio(np.maximum(prev_high, high), np.minimum(prev_low, low)) ** 2
    alpha = (np.sqrt(2.0 * beta) - np.sqrt(beta)) / _CS_DENOMINATOR - np.sqrt(
        gamma / _CS_DENOMINATOR
    )
    spread = 2.0 * np.expm1(alpha) / (1.0 + np.exp(alpha))
    return np.where(spread < 0, 0.0, spread)


def corwin_schultz(bars: Bars, window: int) -> FloatArray:
    return rolling_mean(corwin_schultz_daily(bars), window, bars.newest)


def parkinson(bars: Bars, window: int, periods_per_year: float) -> FloatArray:
    variance = rolling_mean(bars.log_high_low**2, window, bars.newest) / (4.0 * np.log(2.0))
    return _annualized(variance, periods_per_year)


def garman_klass(bars: Bars, window: int, periods_per_year: float) -> FloatArray:
    terms = 0.5 * bars.log_high_low**2 - (2.0 * np.log(2.0) - 1.0) * bars.log_close_open**2
    return _annualized(rolling_mean(terms, window, bars.newest), periods_per_year)


def rogers_satchell(bars: Bars, window: int, periods_per_year: float) -> FloatArray:
    rogers_satchell_mean = rolling_mean(bars.rogers_satchell_terms, window, bars.newest)
    return _annualized(rogers_satchell_mean, periods_per_year)


def yang_zhang(bars: Bars, window: int, periods_per_year: float) -> FloatArray:
    overnight = log_ratio(bars.open, lag(bars.close))
    k = 0.34 / (1.34 + (window + 1) / (window - 1))
    variance = (
        rolling_var(overnight, window, newest=bars.newest)
        + k * rolling_var(bars.log_close_open, window, newest=bars.newest)
        + (1.0 - k) * rolling_mean(bars.rogers_satchell_terms, window, bars.newest)
    )
    return _annualized(variance, periods_per_year)


def clv_volume_share(bars: Bars, window: int) -> FloatArray:
    clv = _in_range((bars.close - bars.low) - (bars.high - bars.close), bars.range)
    return _volume_share(clv * bars.volume, bars, window)


def up_volume_share(bars: Bars, window: int) -> FloatArray:
    up = np.where(np.isnan(bars.returns), np.nan, (bars.returns > 0).astype(np.float64))
    return _volume_share(up * bars.volume, bars, window)


def _volume_share(weighted: FloatArray, bars: Bars, window: int) -> FloatArray:
    """``sum(weighted) / sum(volume)`` over the window."""
    total = rolling_sum(bars.volume, window, bars.newest)
    return safe_divide(rolling_sum(weighted, window, bars.newest), total)


def body_range(bars: Bars, window: int) -> FloatArray:
    return rolling_mean(_in_range(bars.close - bars.open, bars.range), window, bars.newest)


def dollar_volume(bars: Bars, window: int) -> FloatArray:
    return rolling_mean(bars.close * bars.volume, window, bars.newest)


def relative_volume(bars: Bars, window: int) -> FloatArray:
    return safe_divide(bars.volume, rolling_mean(bars.volume, window, bars.newest))


ESTIMATORS: dict[str, Callable[..., FloatArray]] = {
    f.__name__: f
    for f in (
        amihud,
        roll_spread,
        corwin_schultz,
        parkinson,
        garman_klass,
        rogers_satchell,
        yang_zhang,
        clv_volume_share,
        up_volume_share,
        body_range,
        dollar_volume,
        relative_volume,
    )
}
"""Estimator name (``FeatureSpec.function``) to function of ``(bars, **parameters)``."""

_W = {"window": WINDOW}
_VOL = {"window": WINDOW, "periods_per_year": PERIODS_PER_YEAR}
_OHLC = ("open", "high", "low", "close")

# name, function, inputs, parameters, warmup, description
_FEATURES: tuple[tuple[str, str, tuple[str, ...], dict[str, int | float], int, str], ...] = (
    ("ms_amihud_21", "amihud", ("close", "volume"), {**_W, "scale": 1e6}, 21,
     "Amihud illiquidity: mean over 21 bars of 1e6 * |r_t| / (close_t * volume_t)"),
    ("ms_roll_spread_21", "roll_spread", ("close",), _W, 22,
     "Roll spread, signed: 2*sqrt(-c) if c<0 else -2*sqrt(c), c = cov(dlnC_t, dlnC_t-1), 21 bars"),
    ("ms_cs_spread_21", "corwin_schultz", ("high", "low", "close"), _W, 21,
     "Corwin-Schultz 2-day high-low spread, overnight-adjusted, floored at 0, 21-bar mean"),
    ("ms_parkinson_vol_21", "parkinson", ("high", "low"), _VOL, 20,
     "Parkinson vol: sqrt(252 * mean(ln(H/L)^2) / (4 ln 2)) over 21 bars"),
    ("ms_garman_klass_vol_21", "garman_klass", _OHLC, _VOL, 20,
     "Garman-Klass vol: sqrt(252 * mean(0.5 ln(H/L)^2 - (2ln2-1) ln(C/O)^2)) over 21 bars"),
    ("ms_rogers_satchell_vol_21", "rogers_satchell", _OHLC, _VOL, 20,
     "Rogers-Satchell vol: sqrt(252 * mean(ln(H/C)ln(H/O) + ln(L/C)ln(L/O))) over 21 bars"),
    ("ms_yang_zhang_vol_21", "yang_zhang", _OHLC, _VOL, 21,
     "Yang-Zhang vol: sqrt(252 * (var_overnight + k var_open_close + (1-k) RS)), 21 bars"),
    ("ms_clv_volume_share_21", "clv_volume_share", ("high", "low", "close", "volume"), _W, 20,
     "Signed-volume share: sum(CLV*V)/sum(V), CLV = ((C-L)-(H-C))/(H-L), 21 bars"),
    ("ms_up_volume_share_21", "up_volume_share", ("close", "volume"), _W, 21,
     "Up-volume share: sum(V where C_t > C_t-1) / sum(V) over 21 bars"),
    ("ms_body_range_21", "body_range", _OHLC, _W, 20,
     "Mean over 21 bars of (close - open) / (high - low), 0 when high = low"),
    ("ms_dollar_volume_21", "dollar_volume", ("close", "volume"), _W, 20,
     "Dollar volume: mean of close * volume over 21 bars"),
    ("ms_relative_volume_21", "relative_volume", ("volume",), _W, 20,
     "Relative volume: volume_t / mean(volume over the 21 bars ending at t)"),
)  # fmt: skip


def microstructure_view() -> ViewSpec:
    """The ``microstructure`` view."""
    return estimator_view(
        NAME,
        "Liquidity, spread, range-volatility and flow estimators",
        _FEATURES,
        version=VERSION,
        ttl=VIEW_TTL,
    )


@dataclass(frozen=True)
class MicrostructureFamily:
    """Microstructure estimators on one symbol's bars (no extra inputs)."""

    name: str = NAME
    needs: frozenset[str] = field(default_factory=frozenset)

    def views(self) -> list[ViewSpec]:
        return [microstructure_view()]

    def compute(self, views: Sequence[ViewSpec], inputs: SymbolInputs) -> pd.DataFrame:
        bars = Bars(inputs.bars)
        return compute_estimators(views, ESTIMATORS, bars, inputs.bars.index)


MICROSTRUCTURE = MicrostructureFamily()
