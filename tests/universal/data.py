"""Random offline tables with the cases point-in-time joins get wrong, and a brute-force
reference answer to check any store against.

Per symbol and view: event times on a minute grid (so entity times often land exactly on
one), some event times repeated with a later ``created_timestamp`` (a correction: the later
created row wins), created times up to days after the event (late-arriving rows), NaN
values, and gaps longer than the TTL. Entity rows include symbols with no data, times
before any data, times with nanoseconds, and duplicates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

SYMBOLS = [f"S{i}" for i in range(6)]
MISSING_SYMBOL = "NODATA"
START = datetime(2025, 3, 3, 14, 30, tzinfo=UTC)
STAMP = pa.timestamp("us", tz="UTC")


@dataclass(frozen=True)
class ViewSpec:
    name: str
    features: tuple[str, ...]
    ttl: timedelta | None


VIEWS = (
    ViewSpec("quotes", ("bid", "ask"), timedelta(hours=3)),
    ViewSpec("signals", ("score",), None),
)


def view_rows(view: ViewSpec, seed: int) -> pd.DataFrame:
    """One view's rows for every symbol (``symbol``, ``event_timestamp``, ``created_timestamp``,
    features)."""
    rng = np.random.default_rng(seed)
    frames = []
    for symbol in SYMBOLS:
        minutes = np.sort(rng.choice(3 * 24 * 60, size=40, replace=False))
        minutes[20:] += 12 * 60  # a 12-hour gap: longer than the quotes TTL
        events = pd.to_datetime(START) + pd.to_timedelta(minutes, unit="min")
        corrected = rng.choice(len(events), size=8, replace=False)
        events = events.append(events[corrected])  # same event time, created later
        delay = pd.to_timedelta(rng.integers(0, 3 * 24 * 3600, len(events)), unit="s")
        created = events + delay + pd.to_timedelta(np.arange(len(events)), unit="us")
        frame = pd.DataFrame(
            {"symbol": symbol, "event_timestamp": events, "created_timestamp": created}
        )
        for feature in view.features:
            values = rng.normal(100, 5, len(frame))
            values[rng.random(len(frame)) < 0.1] = np.nan
            frame[feature] = values
        frames.append(frame.sample(frac=1, random_state=int(rng.integers(1 << 30))))
    return pd.concat(frames, ignore_index=True)


def offline_schema(view: ViewSpec) -> pa.Schema:
    return pa.schema(
        [("symbol", pa.string()), ("event_timestamp", STAMP), ("created_timestamp", STAMP)]
        + [(f, pa.float64()) for f in view.features]
    )


def write_offline_tables(root: Path, tables: dict[str, pd.DataFrame]) -> None:
    """``root/data/offline/<view>/<SYMBOL>.parquet``, as the transform job lays them out."""
    for view in VIEWS:
        folder = root / "data" / "offline" / view.name
        folder.mkdir(parents=True, exist_ok=True)
        rows = tables[view.name]
        for symbol, part in rows.groupby("symbol"):
            table = pa.Table.from_pandas(part, schema=offline_schema(view), preserve_index=False)
            pq.write_table(table, folder / f"{symbol}.parquet")


def entity_frame(
    seed: int, tables: dict[str, pd.DataFrame], rows: int = 300, with_missing: bool = True
) -> pd.DataFrame:
    """Entity rows: random seconds, exact event times of ``tables``' rows, nanosecond
    offsets, early times, unknown symbols (``with_missing``) and a ``row_id`` carried through
    retrieval."""
    rng = np.random.default_rng(seed)
    symbols = SYMBOLS + ([MISSING_SYMBOL] if with_missing else [])
    seconds = rng.integers(-3600, 4 * 24 * 3600, rows)
    seconds[: rows // 4] = seconds[: rows // 4] // 60 * 60  # on the minute grid
    stamps = pd.to_datetime(START) + pd.to_timedelta(seconds, unit="s")
    nanos = np.zeros(rows, dtype=np.int64)
    nanos[rows // 4 : rows // 3] = rng.integers(1, 999, rows // 3 - rows // 4)
    stamps = stamps + pd.to_timedelta(nanos, unit="ns")
    frame = pd.DataFrame({"symbol": rng.choice(symbols, rows), "event_timestamp": stamps})
    quotes = tables["quotes"].sample(n=rows // 8, random_state=seed)
    frame.iloc[: len(quotes), 0] = quotes["symbol"].to_numpy()
    frame.iloc[: len(quotes), 1] = quotes["event_timestamp"].to_numpy()
    frame = frame.drop_duplicates(["symbol", "event_timestamp"]).reset_index(drop=True)
    frame["row_id"] = np.arange(len(frame))
    return frame


def reference(
    tables: dict[str, pd.DataFrame],
    entity: pd.DataFrame,
    views: tuple[ViewSpec, ...] = VIEWS,
    *,
    full_feature_names: bool = False,
    known_by_entity_time: bool = False,
    with_ties: bool = False,
) -> pd.DataFrame:
    """The point-in-time answer by brute force: for each entity row and view, among the
    rows of its symbol with event time ≤ entity time (and ≥ entity time − TTL; with
    ``known_by_entity_time`` also created ≤ entity time) the one with the latest event time,
    then the latest created time. ``with_ties`` adds a column ``tie`` marking entity rows
    answered by an event time that several rows share."""
    out = entity.copy()
    ties = np.zeros(len(entity), dtype=bool)
    times = pd.to_datetime(entity["event_timestamp"], utc=True).dt.floor("us")
    for view in views:
        rows = tables[view.name]
        values = {f: np.full(len(entity), np.nan) for f in view.features}
        for i, (symbol, time) in enumerate(zip(entity["symbol"], times, strict=True)):
            cand = rows[(rows["symbol"] == symbol) & (rows["event_timestamp"] <= time)]
            if view.ttl:
                cand = cand[cand["event_timestamp"] >= time - view.ttl]
            if known_by_entity_time:
                cand = cand[cand["created_timestamp"] <= time]
            if len(cand):
                best = cand.sort_values(["event_timestamp", "created_timestamp"]).iloc[-1]
                ties[i] |= int((cand["event_timestamp"] == best["event_timestamp"]).sum()) > 1
                for f in view.features:
                    values[f][i] = best[f]
        for f in view.features:
            out[f"{view.name}__{f}" if full_feature_names else f] = values[f]
    if with_ties:
        out["tie"] = ties
    return out


def latest(
    tables: dict[str, pd.DataFrame], view: ViewSpec, start: datetime, end: datetime
) -> pd.DataFrame:
    """The latest row per symbol with event time in [start, end] (ties: latest created)."""
    rows = tables[view.name]
    rows = rows[(rows["event_timestamp"] >= start) & (rows["event_timestamp"] <= end)]
    rows = rows.sort_values(["event_timestamp", "created_timestamp"])
    return rows.groupby("symbol").tail(1).set_index("symbol")
