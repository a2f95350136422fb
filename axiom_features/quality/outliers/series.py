"""Bars as per-symbol time series: order, returns, robust z-scores, runs, session closes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from axiom_features.calendar import calendar_covering

MAD_TO_SIGMA = 1.4826
"""Scales a median absolute deviation to a normal standard deviation."""


@dataclass(frozen=True)
class Ordered:
    """Positions of ``bars`` sorted by symbol, then time (rows missing either are left out)."""

    order: np.ndarray
    group: np.ndarray
    """Symbol code of each sorted position."""
    first: np.ndarray
    """True at a symbol's first bar."""

    def previous(self, values: np.ndarray) -> np.ndarray:
        """``values`` (in sorted order) shifted by one bar within each symbol (NaN at a start)."""
        out = np.empty(len(values), dtype=np.float64)
        out[0:1] = np.nan
        out[1:] = values[:-1]
        out[self.first] = np.nan
        return out

    def following(self, values: np.ndarray) -> np.ndarray:
        """``values`` shifted back by one bar within each symbol (NaN at a symbol's end)."""
        out = np.empty(len(values), dtype=np.float64)
        out[-1:] = np.nan
        out[:-1] = values[1:]
        if len(values):
            out[np.r_[self.first[1:], True]] = np.nan
        return out


def ordered(bars: pd.DataFrame) -> Ordered:
    """Each (symbol, source) series in time order; a repeated timestamp keeps its first bar."""
    valid = (bars["symbol"].notna() & bars["event_timestamp"].notna()).to_numpy()
    positions = np.flatnonzero(valid)
    codes = _series_codes(bars, positions)
    stamps = pd.DatetimeIndex(bars["event_timestamp"].iloc[positions]).as_unit("us").asi8
    sort = np.lexsort((stamps, codes))
    group, stamps = codes[sort], stamps[sort]
    repeat = np.zeros(len(sort), dtype=bool)
    repeat[1:] = (group[1:] == group[:-1]) & (stamps[1:] == stamps[:-1])
    sort, group = sort[~repeat], group[~repeat]
    first = np.r_[True, group[1:] != group[:-1]] if len(group) else np.zeros(0, dtype=bool)
    return Ordered(order=positions[sort], group=group, first=first)


def _series_codes(bars: pd.DataFrame, positions: np.ndarray) -> np.ndarray:
    """A code per (symbol, source) as text, numbered in order of first appearance."""
    symbols, _ = pd.factorize(bars["symbol"].iloc[positions].astype(str).to_numpy())
    if "source" not in bars:
        return symbols
    sources, names = pd.factorize(bars["source"].iloc[positions].astype(str).to_numpy())
    pairs = symbols.astype(np.int64) * max(len(names), 1) + sources
    codes, _ = pd.factorize(pairs)
    return codes


def column(bars: pd.DataFrame, name: str, series: Ordered) -> np.ndarray:
    return bars[name].to_numpy(dtype=np.float64, na_value=np.nan)[series.order]


def log_returns(bars: pd.DataFrame, series: Ordered) -> np.ndarray:
    """Close-to-close log returns in sorted order (NaN at a symbol's first bar)."""
    close = column(bars, "close", series)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = close / series.previous(close)
        return np.where(ratio > 0, np.log(ratio), np.nan)


def robust_z(values: np.ndarray, group: np.ndarray, min_count: int) -> np.ndarray:
    """(x - median) / (1.4826 · MAD) per group; NaN for a group too small or without spread."""
    s = pd.Series(values)
    by = s.groupby(group)
    median = by.transform("median")
    mad = (s - median).abs().groupby(group).transform("median")
    count = by.transform("count")
    scale = MAD_TO_SIGMA * mad
    with np.errstate(divide="ignore", invalid="ignore"):
        z = ((s - median) / scale).to_numpy()
    z[(count < min_count).to_numpy() | ~(scale > 0).to_numpy()] = np.nan
    return z


def run_lengths(mask: np.ndarray, first: np.ndarray) -> np.ndarray:
    """For each position, the length of the run of consecutive True it belongs to (0 if False).

    Runs break at a symbol's first bar.
    """
    if not len(mask):
        return np.zeros(0, dtype=np.int64)
    before = np.r_[False, mask[:-1]]
    starts = mask & (first | ~before)
    run_id = np.cumsum(starts)
    lengths = np.bincount(run_id[mask], minlength=int(run_id.max()) + 1)
    out = np.zeros(len(mask), dtype=np.int64)
    out[mask] = lengths[run_id[mask]]
    return out


def _distinct(stamps: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """Each row's code and the distinct instants of ``stamps``: a batch of bars holds few
    (one per session), so time zones are looked up once per instant, not per row."""
    codes, distinct = pd.factorize(stamps, use_na_sentinel=False)
    return codes, pd.Series(distinct)


def expected_closes(stamps: pd.Series, calendar: str) -> pd.Series:
    """The session close (UTC) of each instant's local exchange date; NaT off the calendar."""
    cal = calendar_covering(stamps, calendar)
    closes = cal.schedule["close"]

    codes, instants = _distinct(stamps)
    local = instants.dt.tz_convert(cal.tz).dt.tz_localize(None).dt.normalize()
    found = local.map(closes).astype("datetime64[us, UTC]")
    return found.iloc[codes].set_axis(stamps.index)


def daily_symbols(bars: pd.DataFrame, at_close: np.ndarray, min_rows: int = 5) -> np.ndarray:
    """Rows whose symbol is a daily series: at least ``min_rows`` bars, 80% at session closes."""
    frame = pd.DataFrame({"symbol": bars["symbol"].to_numpy(), "close": at_close})
    by = frame.groupby("symbol", dropna=False)["close"]
    share = by.transform("mean").to_numpy()
    count = by.transform("size").to_numpy()
    return (share >= 0.8) & (count >= min_rows)


def session_positions(stamps: pd.Series, calendar: str) -> np.ndarray:
    """Index of each instant's local date among the sessions of a calendar covering them (next
    session if off): differences between positions count sessions."""
    cal = calendar_covering(stamps, calendar)
    codes, instants = _distinct(stamps)
    local = instants.dt.tz_convert(cal.tz).dt.tz_localize(None).dt.normalize()
    return cal.sessions.searchsorted(pd.DatetimeIndex(local))[codes]
