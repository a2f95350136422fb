"""What kind of series a feature is, which decides how its drift is judged.

=================== ============================================================ ===========
nature              what it is                                                   compared
=================== ============================================================ ===========
bounded_oscillator  a value in a fixed range (RSI, stochastics, shares, phases)   distribution
return_like         a scale-free change or ratio (ROC, volatility, beta, z)      distribution
level               in the units of a price or a volume (SMA, ATR, VWAP)        quality only
cumulative          a running sum since the first bar (OBV, A/D, filings known)  quality only
count               a number of events or bars (headlines, bars since)         distribution
fundamental         a ratio of filed statements; moves when filings arrive      distribution
categorical         a code (candle patterns, regime codes, trend sign)          distribution
=================== ============================================================ ===========

Level and cumulative features move by design (prices trend, sums grow), so their
distribution is never compared between windows; their data quality is (missing share,
constant runs, jumps between bars, range and scale). The nature is metadata: it is not part
of a view's version.
"""

from __future__ import annotations

from typing import Literal

Nature = Literal[
    "bounded_oscillator",
    "return_like",
    "level",
    "cumulative",
    "count",
    "fundamental",
    "categorical",
]
NATURES: tuple[str, ...] = (
    "bounded_oscillator",
    "return_like",
    "level",
    "cumulative",
    "count",
    "fundamental",
    "categorical",
)
STATIONARY: frozenset[str] = frozenset(NATURES) - {"level", "cumulative"}
"""Natures whose distribution is compared between windows."""

_TALIB_CUMULATIVE = frozenset({"AD", "OBV", "PVT", "NVI", "PVI", "WAD", "CUMSUM"})
_TALIB_CATEGORICAL = frozenset({"HT_TRENDMODE"})
_TALIB_BOUNDED = frozenset(
    {
        "ADX", "ADXR", "AROON", "AROONOSC", "BOP", "CMO", "CMOU", "DX", "ER", "IMI", "KDJ",
        "MFI", "MINUS_DI", "PLUS_DI", "RSI", "SMI", "STOCH", "STOCHF", "STOCHRSI", "ULTOSC",
        "VHF", "WILLR", "HT_DCPERIOD", "HT_DCPHASE", "HT_SINE", "CORREL", "PERCENTRANK",
        "CMF", "RVI",
    }
)  # fmt: skip
_TALIB_RETURN_LIKE = frozenset(
    {
        "CCI", "COPPOCK", "FOSC", "PPO", "ROC", "ROCP", "ROCR", "ROCR100", "TRIX", "TSI",
        "VORTEX", "DIV", "BETA", "NATR", "CVI", "MASSI", "PVO", "RVOL",
    }
)  # fmt: skip
_LEVEL_OUTPUTS = frozenset({"trend"})
"""TA-Lib outputs that are codes although their function returns levels (SUPERTREND)."""

_COUNTS = frozenset({"count", "rolling_count", "days_since_last"})
_SCALE_DEPENDENT = frozenset({"amihud", "dollar_volume"})
_CODES = frozenset({"vol_code", "trend_code", "correlation_code", "sma_slope_sign"})
_BOUNDED = frozenset(
    {
        "mean", "std", "pos_share", "neg_share", "max", "min", "decay_mean", "rolling_mean",
        "clv_volume_share", "up_volume_share", "body_range", "vol_rank", "correlation_mean",
        "correlation_rank", "market_correlation",
    }
)  # fmt: skip
_META_LEVELS = frozenset({"f_market_cap", "f_enterprise_value"})
_META_TALLIES = frozenset({"f_filings_known", "f_quarters_known", "f_restated_quarters_known"})
"""Counts of filings since the first one: they only grow."""


def nature_of(
    *, name: str, view: str, function: str, transform: str, output: str, post: str
) -> Nature:
    """The nature of one catalogue feature, from its family, function and output."""
    if transform == "talib":
        return _talib_nature(view, function, output, post)
    if transform == "fundamentals":
        if name in _META_LEVELS:
            return "level"
        if name in _META_TALLIES:
            return "cumulative"
        return "count" if view == "fundamentals_meta" else "fundamental"
    if function in _COUNTS:
        return "count"
    if function in _CODES:
        return "categorical"
    if function in _SCALE_DEPENDENT:
        return "level"
    if function in _BOUNDED:
        return "bounded_oscillator"
    return "return_like"


def _talib_nature(view: str, function: str, output: str, post: str) -> Nature:
    if view == "ta_pattern" or function in _TALIB_CATEGORICAL or output in _LEVEL_OUTPUTS:
        return "categorical"
    if post == "bars_since":
        return "count"
    if function in _TALIB_CUMULATIVE:
        return "cumulative"
    if function in _TALIB_BOUNDED:
        return "bounded_oscillator"
    if function in _TALIB_RETURN_LIKE:
        return "return_like"
    return "level"
