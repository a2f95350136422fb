"""Microstructure, risk and regime carried forward by evaluating the batch family on a tail.

Every feature of these families reads a finite trailing window (at most 63 + 251 rows plus
the close before them), so the batch function applied to the last :data:`TAIL_BARS` bars
gives the newest rows. Window sums come from cumulative sums over the array the function
is given, so the tail's values may differ from the full series' in the last bits; the
consistency test holds them to 1e-12 relative.

Market-wide inputs (the equal-weighted benchmark, the mean pairwise correlation) come from
the last :data:`MARKET_ROWS` rows of every symbol's closes. A market row is the batch's
only when all of its bars were seen before the features of that time were computed: the
daily update gets whole days, the stream reads bars in time order.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from transforms.catalogue import catalogue
from transforms.families import family_named
from transforms.family import SymbolInputs
from transforms.regime import mean_pairwise_correlation
from transforms.risk import market_returns
from transforms.specs import ViewSpec

TAIL_BARS = 400
"""Bars of history each evaluation reads: the longest window (regime's 63 + 251 market rows
and one close for the first return) with room to spare."""

MARKET_ROWS = 400
"""Market rows (times) kept: as many as the longest market-wide window needs, with room."""

WINDOW_FAMILIES: tuple[str, ...] = ("microstructure", "risk", "regime")


def window_views(views: Sequence[ViewSpec]) -> dict[str, list[ViewSpec]]:
    """``views`` of the tail-evaluated families, grouped by family."""
    groups: dict[str, list[ViewSpec]] = {}
    for view in views:
        family = catalogue().family_of(view.name)
        if family in WINDOW_FAMILIES:
            groups.setdefault(family, []).append(view)
    return groups


def tail_rows(
    groups: dict[str, list[ViewSpec]],
    symbol: str,
    bars: pd.DataFrame,
    market: pd.DataFrame | None,
    newest: int,
) -> dict[str, np.ndarray]:
    """The features of the last ``newest`` rows of ``bars`` (a tail of the symbol's bars)."""
    columns: dict[str, np.ndarray] = {}
    for family_name, family_views in groups.items():
        family = family_named(family_name)
        inputs = SymbolInputs(symbol, bars, market=market if "market" in family.needs else None)
        frame = family.compute(family_views, inputs)
        for name in frame.columns:
            columns[name] = frame[name].to_numpy(np.float64)[len(frame) - newest :]
    return columns


class MarketTail:
    """The last :data:`MARKET_ROWS` rows of every symbol's closes, wide, symbols sorted.

    Held as numpy arrays (times, symbols, ``(rows, symbols)`` closes); :attr:`frame` is the
    same table as a DataFrame, built once per change (the families' market memo keys on it).

    The market's mean pairwise correlation is kept per market row: a change recomputes only
    the rows whose window holds a changed close (each on its own window's returns, so a value
    may differ from the batch's in the last bits, within the 1e-12 the stream is held to).
    """

    def __init__(self, closes: pd.DataFrame) -> None:
        closes = closes.sort_index().reindex(columns=sorted(str(c) for c in closes.columns))
        closes = closes.iloc[-MARKET_ROWS:]
        self._times = _nanoseconds(closes.index)
        self._symbols: list[str] = list(closes.columns)
        self._closes = closes.to_numpy(dtype=np.float64, na_value=np.nan).reshape(
            len(self._times), len(self._symbols)
        )
        self._frame: pd.DataFrame | None = None
        self._changed_from: dict[int, int] = {}
        """Per window computed: the oldest market time changed since."""
        self._correlations: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        """Per window: market times and mean pairwise correlations computed so far."""

    @property
    def frame(self) -> pd.DataFrame:
        if self._frame is None:
            index = pd.DatetimeIndex(pd.to_datetime(self._times, utc=True), name="event_timestamp")
            self._frame = pd.DataFrame(self._closes, index=index, columns=list(self._symbols))
        return self._frame

    def add(self, bars: pd.DataFrame) -> None:
        """Take new bars (``symbol``, ``event_timestamp``, ``close``) into the market rows; a
        later bar of the same symbol and time wins, a missing close keeps the held one."""
        if bars.empty:
            return
        symbols = bars["symbol"].astype(str).to_numpy()
        times = _nanoseconds(bars["event_timestamp"])
        closes = bars["close"].to_numpy(np.float64)
        self._widen(np.unique(symbols), np.unique(times))
        rows = np.searchsorted(self._times, times)
        columns = np.searchsorted(np.asarray(self._symbols, dtype=object), symbols)
        given = ~np.isnan(closes)
        self._closes[rows[given], columns[given]] = closes[given]
        oldest = int(times.min())
        for window, since in self._changed_from.items():
            self._changed_from[window] = min(since, oldest)
        if len(self._times) > MARKET_ROWS:
            self._times = self._times[-MARKET_ROWS:]
            self._closes = self._closes[-MARKET_ROWS:]
        self._frame = None

    def correlation_mean(self, window: int) -> tuple[np.ndarray, np.ndarray]:
        """Market times and the mean pairwise correlation of returns over ``window`` rows."""
        times = self._times
        held_times, held = self._correlations.get(window, (times[:0], np.empty(0)))
        values = np.full(len(times), np.nan)
        at = np.searchsorted(held_times, times)
        found = at < len(held_times)
        found[found] = held_times[at[found]] == times[found]
        found &= times < self._changed_from.get(window, np.iinfo(np.int64).max)
        stale = np.flatnonzero(~found)
        values[found] = held[at[found]]
        if len(stale):
            first = int(stale[0])
            start = max(0, first - window)
            returns = market_returns(self.frame).returns[start:]
            values[first:] = mean_pairwise_correlation(returns, window)[first - start :]
        self._correlations[window] = (times, values)
        self._changed_from[window] = np.iinfo(np.int64).max
        return times, values

    def _widen(self, symbols: np.ndarray, times: np.ndarray) -> None:
        """Add the columns and rows not held yet (NaN), keeping both sorted."""
        new_symbols = sorted(set(symbols.tolist()) - set(self._symbols))
        new_times = np.setdiff1d(times, self._times)
        if not new_symbols and not len(new_times):
            return
        all_symbols = sorted([*self._symbols, *new_symbols])
        all_times = np.union1d(self._times, new_times)
        grown = np.full((len(all_times), len(all_symbols)), np.nan)
        rows = np.searchsorted(all_times, self._times)
        columns = np.searchsorted(np.asarray(all_symbols, dtype=object), self._symbols)
        grown[np.ix_(rows, columns)] = self._closes
        self._times, self._symbols, self._closes = all_times, all_symbols, grown


def _nanoseconds(stamps: pd.Series | pd.Index) -> np.ndarray:
    index = pd.DatetimeIndex(stamps)
    if index.tz is None:
        index = index.tz_localize("UTC")
    return index.tz_convert("UTC").as_unit("ns").asi8
