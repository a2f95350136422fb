"""Bar rules that need more than one row or a context: time, calendar, continuity, outliers.

Each is a :func:`derived_rule`: pandas/NumPy computes who fails, GX checks the result, so
these rules report, count and quarantine exactly like the column rules.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from axiom_features.calendar import is_session
from axiom_features.contracts import PRICE_COLUMNS
from axiom_features.contracts.symbols import MAX_SYMBOL_LENGTH, symbol_problem
from axiom_features.quality.context import GateContext
from axiom_features.quality.outliers.detectors import DETECTORS
from axiom_features.quality.outliers.series import (
    column,
    daily_symbols,
    expected_closes,
)
from axiom_features.quality.rules import Rule, Severity, derived_rule

SPLIT_RATIOS: tuple[float, ...] = (2, 3, 4, 5, 8, 10, 1 / 2, 1 / 3, 1 / 4, 1 / 5, 1 / 8, 1 / 10)
"""Common split and reverse-split factors."""
SPLIT_TOLERANCE = 0.03


def _stamps(frame: pd.DataFrame) -> pd.Series:
    return frame["event_timestamp"]


def future_bars(frame: pd.DataFrame, ctx: GateContext) -> np.ndarray:
    """Bars stamped later than now (plus a small clock tolerance)."""
    limit = pd.Timestamp(ctx.now).tz_convert("UTC") + ctx.future_tolerance
    return (_stamps(frame) > limit).to_numpy()


def off_session_close(frame: pd.DataFrame, ctx: GateContext) -> np.ndarray:
    """In a daily series (80% of a symbol's bars at session closes), bars stamped elsewhere.

    A daily bar is stamped at its session close; one that is not — or that falls on a day
    without a session — was shifted (a time zone applied twice, midnight instead of the
    close) and could leak into earlier joins.
    """
    stamps = _stamps(frame)
    present = stamps.notna().to_numpy()
    if not present.any():
        return np.zeros(len(frame), dtype=bool)
    at_close = (stamps == expected_closes(stamps, ctx.calendar)).to_numpy()
    return present & daily_symbols(frame, at_close) & ~at_close


def off_calendar(frame: pd.DataFrame, ctx: GateContext) -> np.ndarray:
    """Bars whose exchange-local date is not a trading session (weekend, holiday)."""
    stamps = _stamps(frame)
    present = stamps.notna().to_numpy()
    flags = np.zeros(len(frame), dtype=bool)
    if present.any():
        days = pd.DatetimeIndex(stamps[present])
        flags[present] = ~is_session(days, ctx.calendar).to_numpy()
    return flags


def split_jumps(frame: pd.DataFrame, ctx: GateContext) -> np.ndarray:
    """Opens that differ from the previous close by a split factor (2:1, 1:10 …) within 3%.

    Such a gap is what an unadjusted split looks like; the series is not split-adjusted.
    """
    series = ctx.ordered(frame)
    flags = np.zeros(len(frame), dtype=bool)
    if not len(series.order):
        return flags
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = column(frame, "open", series) / series.previous(column(frame, "close", series))
        hit = np.zeros(len(ratio), dtype=bool)
        for factor in SPLIT_RATIOS:
            hit |= np.abs(ratio * factor - 1.0) < SPLIT_TOLERANCE
    flags[series.order[hit]] = True
    return flags


def unknown_symbols(frame: pd.DataFrame, ctx: GateContext) -> np.ndarray:
    """Symbols outside the allowed list (no rows fail when no list is set)."""
    if ctx.allowed_symbols is None:
        return np.zeros(len(frame), dtype=bool)
    symbols = frame["symbol"]
    return (symbols.notna() & ~symbols.isin(list(ctx.allowed_symbols))).to_numpy()


def invalid_symbols(frame: pd.DataFrame, ctx: GateContext) -> np.ndarray:
    """Symbols no store can hold as given: empty, control characters, too long."""
    codes, uniques = pd.factorize(frame["symbol"].to_numpy(dtype=object), use_na_sentinel=True)
    bad = np.fromiter(
        (isinstance(s, str) and symbol_problem(s) is not None for s in uniques),
        dtype=bool,
        count=len(uniques),
    )
    return np.append(bad, False)[codes]  # a missing symbol (code -1) is not_null's concern


MAX_PRICE = 1e9
"""No traded instrument is quoted above this (Berkshire A is about 1e6)."""
MAX_VOLUME = 1e15


def implausible_values(frame: pd.DataFrame, ctx: GateContext) -> np.ndarray:
    """Prices or volume that are infinite or beyond any real market (1e9 / 1e15)."""
    flags = np.zeros(len(frame), dtype=bool)
    limits = {**dict.fromkeys(PRICE_COLUMNS, MAX_PRICE), "volume": MAX_VOLUME}
    for name, limit in limits.items():
        values = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=np.float64)
        with np.errstate(invalid="ignore"):
            flags |= np.isinf(values) | (np.abs(values) > limit)
    return flags


def _detector_flags(name: str):  # noqa: ANN202 - a Derive
    detect = DETECTORS[name]

    def derive(frame: pd.DataFrame, ctx: GateContext) -> np.ndarray:
        found = detect(frame, calendar=ctx.calendar, series=ctx.ordered(frame))
        ctx.findings.append(found)
        flags = np.zeros(len(frame), dtype=bool)
        flags[found["row"].to_numpy()] = True
        return flags

    derive.__doc__ = detect.__doc__
    return derive


BUSINESS_RULES: tuple[Rule, ...] = (
    derived_rule("future_bar", Severity.QUARANTINE, "event_timestamp <= now", future_bars),
    derived_rule(
        "session_close",
        Severity.QUARANTINE,
        "a daily bar is stamped at its session close",
        off_session_close,
    ),
    derived_rule(
        "trading_calendar", Severity.WARN, "the bar's date is a trading session", off_calendar
    ),
    derived_rule(
        "split_continuity",
        Severity.WARN,
        "no open/previous-close gap equal to a split factor (series split-adjusted)",
        split_jumps,
    ),
    derived_rule(
        "allowed_symbol", Severity.QUARANTINE, "symbol is in the allowed list", unknown_symbols
    ),
    derived_rule(
        "plausible_values",
        Severity.QUARANTINE,
        f"prices and volume are finite, prices at most {MAX_PRICE:g}, volume {MAX_VOLUME:g}",
        implausible_values,
    ),
    derived_rule(
        "symbol_valid",
        Severity.QUARANTINE,
        f"symbol is text of 1 to {MAX_SYMBOL_LENGTH} characters without control characters",
        invalid_symbols,
    ),
)
"""Time, calendar, continuity and reference-data rules."""

OUTLIER_SEVERITY: dict[str, Severity] = {
    "reverting_spike": Severity.QUARANTINE,
    "return_outlier": Severity.WARN,
    "stale_price": Severity.WARN,
    "zero_volume_run": Severity.WARN,
    "calendar_gap": Severity.WARN,
    "volume_anomaly": Severity.WARN,
}

OUTLIER_RULES: tuple[Rule, ...] = tuple(
    derived_rule(name, severity, (DETECTORS[name].__doc__ or name).strip(), _detector_flags(name))
    for name, severity in OUTLIER_SEVERITY.items()
)
"""The outlier detectors as rules: a reverting spike is held back, the rest warn."""
