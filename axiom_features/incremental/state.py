"""Incremental feature state: warm it from history, update it with new bars, save and load it.

``warm(history)`` builds the state of every bar-based view (TA-Lib, microstructure, risk,
regime) from bars with columns ``symbol``, ``event_timestamp`` and OHLCV;
``update(state, bars)`` takes the next bars and returns their feature rows, one per bar,
equal to what the batch transform computes on the same bars. ``save``/``load`` write and
read a state atomically. A state is a function of the bars it has seen, so it is saved as
those bars and loading warms again (TA-Lib's handles cannot be written to disk).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from axiom_features.incremental.bar_history import OHLCV, BarHistory
from axiom_features.incremental.talib_handles import TalibHandles
from axiom_features.incremental.window_families import (
    TAIL_BARS,
    MarketTail,
    window_views,
)
from axiom_features.incremental.window_panel import build_panel, panel_rows, prepare_market
from transforms.catalogue import catalogue
from transforms.families import family_named
from transforms.specs import ViewSpec

BAR_FAMILIES: tuple[str, ...] = ("talib", "microstructure", "risk", "regime")
KEY_COLUMNS: tuple[str, ...] = ("symbol", "event_timestamp")


def bar_views() -> list[ViewSpec]:
    """Every catalogue view computed from bars alone (and the market of bars)."""
    return [v for v in catalogue().views.values() if catalogue().family_of(v.name) in BAR_FAMILIES]


@dataclass
class SymbolState:
    """One symbol's bars and its TA-Lib handles."""

    history: BarHistory
    talib: TalibHandles | None


@dataclass
class IncrementalState:
    """Feature state of every symbol seen, over ``views``."""

    views: list[ViewSpec]
    symbols: dict[str, SymbolState] = field(default_factory=dict)
    market: MarketTail | None = None
    revise_from: int | None = None
    """Oldest time (ns) of rows returned earlier that later bars changed (market-reading
    views); :func:`revise` returns them again."""
    newest_rows: dict[str, tuple[int, np.ndarray]] = field(default_factory=dict)
    """Per symbol: time and market-reading views' values of the newest row returned, so a
    revision of that row recomputes only the features that read the market."""

    @property
    def feature_names(self) -> list[str]:
        return [f.name for view in self.views for f in view.features]

    def last_time(self, symbol: str) -> pd.Timestamp | None:
        """The newest bar time of ``symbol`` in the state (None for an unknown symbol)."""
        state = self.symbols.get(symbol)
        last = state.history.last_time if state else None
        return None if last is None else pd.Timestamp(last, tz="UTC")


def _talib_views(views: Sequence[ViewSpec]) -> list[ViewSpec]:
    return [v for v in views if catalogue().family_of(v.name) == "talib"]


def _nanoseconds(stamps: pd.Series) -> np.ndarray:
    return pd.DatetimeIndex(stamps).tz_convert("UTC").as_unit("ns").asi8


def _sorted_bars(bars: pd.DataFrame) -> pd.DataFrame:
    bars = bars.loc[:, [*KEY_COLUMNS, *OHLCV]].copy()
    bars["event_timestamp"] = pd.to_datetime(bars["event_timestamp"], utc=True)
    for name in OHLCV:
        bars[name] = bars[name].astype(np.float64)
    return bars.sort_values(["event_timestamp", "symbol"], kind="stable").reset_index(drop=True)


def warm(history: pd.DataFrame, views: Sequence[ViewSpec] | None = None) -> IncrementalState:
    """The state after ``history`` (any symbols, any order; one bar per symbol and time)."""
    given = list(views) if views is not None else bar_views()
    chosen = _talib_views(given) + [v for v in given if v not in _talib_views(given)]
    state = IncrementalState(chosen)
    bars = _sorted_bars(history)
    if bars.empty:
        state.market = MarketTail(pd.DataFrame(index=pd.DatetimeIndex([], tz="UTC")))
        return state
    closes = bars.pivot_table(
        index="event_timestamp", columns="symbol", values="close", aggfunc="last"
    )
    closes.columns = [str(c) for c in closes.columns]
    state.market = MarketTail(closes.astype(np.float64))
    talib_views = _talib_views(chosen)
    for symbol, rows in bars.groupby("symbol", sort=True):
        times = _nanoseconds(rows["event_timestamp"])
        if np.any(times[1:] <= times[:-1]):
            raise ValueError(f"history of {symbol}: more than one bar at a time")
        arrays = {name: rows[name].to_numpy(np.float64) for name in OHLCV}
        history_ = BarHistory(times, arrays)
        handles = TalibHandles(talib_views, history_.arrays()) if talib_views else None
        state.symbols[str(symbol)] = SymbolState(history_, handles)
    if _market_groups(state):
        prepare_market(state.market)
    return state


def update(state: IncrementalState, bars: pd.DataFrame) -> pd.DataFrame:
    """Carry ``state`` over ``bars``; one feature row per bar (keys first, then features).

    Each symbol's bars must be newer than everything the state holds for it. Market-wide
    features of a time are the batch's when every bar of that time is in ``bars`` or before
    (whole sessions per call). A bar joins the market row of its time, so rows returned
    earlier at that time or later (other symbols') change in the views reading the market
    (risk, regime): :func:`revise` returns them again.
    """
    names = state.feature_names
    if bars.empty:
        return pd.DataFrame(columns=[*KEY_COLUMNS, *names])
    order, times, symbols, stamps = _time_order(bars)
    values = {name: bars[name].to_numpy(np.float64)[order] for name in OHLCV}
    talib_views = _talib_views(state.views)
    out = np.full((len(order), len(names)), np.nan)
    talib_width = sum(len(v.features) for v in talib_views)
    since = int(times.min())
    if _market_groups(state) and any(
        s.history.last_time is not None and s.history.last_time >= since
        for s in state.symbols.values()
    ):
        state.revise_from = since if state.revise_from is None else min(state.revise_from, since)
    touched: dict[str, list[int]] = {}
    for i in range(len(order)):
        symbol = symbols[i]
        bar = {name: float(values[name][i]) for name in OHLCV}
        entry = state.symbols.get(symbol)
        if entry is None:
            entry = SymbolState(BarHistory(times[:0], {n: values[n][:0] for n in OHLCV}), None)
            if talib_views:
                entry.talib = TalibHandles(talib_views, entry.history.arrays())
            state.symbols[symbol] = entry
        last = entry.history.last_time
        if last is not None and times[i] <= last:
            stamp = pd.Timestamp(int(times[i]), tz="UTC")
            raise ValueError(f"bar {symbol} at {stamp} is not newer than the state's last bar")
        entry.history.append(int(times[i]), bar)
        if entry.talib is not None:
            entry.talib.step(bar, entry.history.arrays, out[i, :talib_width])
        touched.setdefault(symbol, []).append(i)
    closes = pd.DataFrame({"symbol": symbols, "event_timestamp": stamps, "close": values["close"]})
    _update_windows(state, closes, touched, out, names)
    kept = [names.index(name) for name in _market_view_features(state)]
    if kept:
        for symbol, rows in touched.items():
            state.newest_rows[symbol] = (int(times[rows[-1]]), out[rows[-1], kept].copy())
    frame = pd.DataFrame(out, columns=names)
    frame.insert(0, "event_timestamp", stamps)
    frame.insert(0, "symbol", symbols)
    return frame


def revise(state: IncrementalState) -> pd.DataFrame:
    """The rows returned earlier that bars taken since changed (views reading the market):
    ``symbol``, ``event_timestamp`` and those views' features, with the values the batch
    computes from the bars seen so far. Revising late (once per session, say) costs one
    evaluation for every changed row instead of one per update."""
    since, state.revise_from = state.revise_from, None
    if since is None:
        return _no_revisions(state)
    return _revisions(state, since, {})


def update_with_revisions(
    state: IncrementalState, bars: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`update`, then :func:`revise` (without the rows this update returned)."""
    rows = update(state, bars)
    since, state.revise_from = state.revise_from, None
    if since is None:
        return rows, _no_revisions(state)
    counts = rows["symbol"].value_counts()
    touched = {str(symbol): range(int(n)) for symbol, n in counts.items()}
    return rows, _revisions(state, since, touched)


def _time_order(bars: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, pd.DatetimeIndex]:
    """Positions of ``bars`` in time order, then symbol (stable); with their times (ns),
    symbols and timestamps (UTC) in that order."""
    stamps = pd.DatetimeIndex(pd.to_datetime(bars["event_timestamp"], utc=True))
    times = _nanoseconds(stamps)
    symbols = bars["symbol"].astype(str).to_numpy()
    order = np.lexsort((symbols.astype(str), times))
    return order, times[order], symbols[order], stamps[order]


def _update_windows(
    state: IncrementalState,
    new: pd.DataFrame,
    touched: dict[str, list[int]],
    out: np.ndarray,
    names: list[str],
) -> None:
    groups = window_views(state.views)
    if not groups:
        return
    assert state.market is not None
    state.market.add(new)
    position = {name: j for j, name in enumerate(names)}
    symbols = list(touched)
    newest = max(len(rows) for rows in touched.values())
    histories = [state.symbols[s].history for s in symbols]
    panel = build_panel(symbols, histories, TAIL_BARS + newest)
    columns = panel_rows(groups, panel, state.market, newest)
    target = np.concatenate([touched[s] for s in symbols])
    source_row = np.repeat(np.arange(len(symbols)), [len(touched[s]) for s in symbols])
    source_column = np.concatenate([np.arange(newest - len(touched[s]), newest) for s in symbols])
    for name, values in columns.items():
        out[target, position[name]] = values[source_row, source_column]


def _market_groups(state: IncrementalState) -> dict[str, list[ViewSpec]]:
    groups = window_views(state.views)
    return {name: views for name, views in groups.items() if "market" in family_named(name).needs}


def _no_revisions(state: IncrementalState) -> pd.DataFrame:
    columns = [
        f.name for views in _market_groups(state).values() for v in views for f in v.features
    ]
    return pd.DataFrame(columns=[*KEY_COLUMNS, *columns])


def _revisions(
    state: IncrementalState, since: int, touched: Mapping[str, Sequence[int]]
) -> pd.DataFrame:
    """Rows at or after ``since`` returned by earlier updates, in the market-reading views."""
    groups = _market_groups(state)
    if not groups:
        return _no_revisions(state)
    assert state.market is not None
    revised: list[tuple[str, int, int]] = []  # symbol, first revised row, rows after it
    for symbol, entry in state.symbols.items():
        history = entry.history
        last = history.last_time
        if last is None or last < since:
            continue
        end = history.size - len(touched.get(symbol, ()))
        first = int(np.searchsorted(history.times(), since))
        if first < end:
            revised.append((symbol, first, end))
    if not revised:
        return _no_revisions(state)
    names = _market_view_features(state)
    known = [
        (symbol, first, end)
        for symbol, first, end in revised
        if end - first == 1
        and state.newest_rows.get(symbol, (None,))[0]
        == int(state.symbols[symbol].history.times()[first])
        and first == state.symbols[symbol].history.size - 1
    ]
    if known:
        only = {
            f.name
            for views in groups.values()
            for v in views
            for f in v.features
            if any(i.split(":")[0] == "market" for i in f.inputs)
        }
        chosen = set(known)
        unknown = [r for r in revised if r not in chosen]
        frames = [_known_revisions(state, groups, known, names, only)]
        if unknown:
            frames.append(_evaluated_revisions(state, groups, unknown))
        return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    return _evaluated_revisions(state, groups, revised)


def _market_view_features(state: IncrementalState) -> list[str]:
    return [f.name for views in _market_groups(state).values() for v in views for f in v.features]


def _known_revisions(
    state: IncrementalState,
    groups: dict[str, list[ViewSpec]],
    known: list[tuple[str, int, int]],
    names: list[str],
    only: set[str],
) -> pd.DataFrame:
    """Revisions of symbols' newest rows: the market-reading features computed again, the
    others as returned before."""
    symbols = [symbol for symbol, _, _ in known]
    histories = [state.symbols[symbol].history for symbol in symbols]
    panel = build_panel(symbols, histories, TAIL_BARS + 1)
    columns = panel_rows(groups, panel, state.market, 1, only=only)
    held = np.stack([state.newest_rows[symbol][1] for symbol in symbols])
    frame = pd.DataFrame(held, columns=names)
    for name, values in columns.items():
        frame[name] = values[:, 0]
    stamps = np.array([h.last_time for h in histories], dtype=np.int64)
    frame.insert(0, "event_timestamp", pd.to_datetime(stamps, utc=True))
    frame.insert(0, "symbol", symbols)
    return frame


def _evaluated_revisions(
    state: IncrementalState, groups: dict[str, list[ViewSpec]], revised: list[tuple[str, int, int]]
) -> pd.DataFrame:
    """Revisions of any rows: every feature of the market-reading views evaluated again."""
    histories = [state.symbols[symbol].history for symbol, _, _ in revised]
    newest = max(h.size - first for h, (_, first, _) in zip(histories, revised, strict=True))
    panel = build_panel([symbol for symbol, _, _ in revised], histories, TAIL_BARS + newest)
    columns = panel_rows(groups, panel, state.market, newest)
    keys, stamps, source_row, source_column = [], [], [], []
    for row, (history, (symbol, first, end)) in enumerate(zip(histories, revised, strict=True)):
        begin = newest - (history.size - first)
        keys.extend([symbol] * (end - first))
        stamps.append(history.times()[first:end])
        source_row.append(np.full(end - first, row))
        source_column.append(np.arange(begin, begin + end - first))
    rows, columns_at = np.concatenate(source_row), np.concatenate(source_column)
    frame = pd.DataFrame({name: values[rows, columns_at] for name, values in columns.items()})
    frame.insert(0, "event_timestamp", pd.to_datetime(np.concatenate(stamps), utc=True))
    frame.insert(0, "symbol", keys)
    return frame


def save(state: IncrementalState, path: Path) -> None:
    """Write the state's bars to ``path`` atomically (temporary file, fsync, rename)."""
    frames = [
        pd.DataFrame({"symbol": symbol, "event_timestamp": s.history.times(), **s.history.arrays()})
        for symbol, s in state.symbols.items()
    ]
    bars = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=[*KEY_COLUMNS, *OHLCV])
    )
    bars["event_timestamp"] = pd.to_datetime(bars["event_timestamp"].astype(np.int64), utc=True)
    table = pa.Table.from_pandas(bars, preserve_index=False)
    table = table.replace_schema_metadata(
        {b"views": ",".join(f"{v.name}={v.version}" for v in state.views).encode()}
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        pq.write_table(table, tmp)
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def load(path: Path) -> IncrementalState:
    """The state :func:`save` wrote, with the views it named (failing on a changed version)."""
    table = pq.read_table(path)
    recorded = (table.schema.metadata or {}).get(b"views", b"").decode()
    views = []
    for item in filter(None, recorded.split(",")):
        name, version = item.split("=", 1)
        view = catalogue().view(name)
        if view.version != version:
            raise ValueError(
                f"{path}: view {name!r} was saved at version {version}, the catalogue has "
                f"{view.version}; warm the state again from the lake"
            )
        views.append(view)
    return warm(table.to_pandas(), views)
