"""The daily update of the offline tables: each view's rows from its first changed bar on.

Per symbol and view (:mod:`axiom_features.updates.changes` says from where):

- the next bars of the TA-Lib views are carried forward by the incremental feature state
  (:mod:`axiom_features.incremental.state`: TA-Lib's streaming handles, bit for bit the
  batch values) over the bars before them;
- the other families, and every view whose change starts inside its history (a late or
  corrected bar, a new filing or headline, a changed market), are computed by the transform
  job's own code and their rows from the change on replace the stored ones.

Rows before the change keep their bytes and created time. The marks are written after
every table (:mod:`axiom_features.updates.watermarks`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa

from axiom_features.backfill.digests import rows_in_range
from axiom_features.backfill.ranges import splice, stored_table
from axiom_features.contracts import UTC_TIMESTAMP
from axiom_features.incremental import state as incremental
from axiom_features.lakes.history import clear_marks, recompute_marks
from axiom_features.lakes.symbols import symbol_file
from axiom_features.lakes.transaction import recover
from axiom_features.paths import RepoPaths
from axiom_features.pipeline.family_inputs import write_market_closes
from axiom_features.pipeline.transform_job import (
    lake_symbols,
    offline_schema,
    read_bars,
    symbol_tables,
    talib_only,
    write_view_table,
)
from axiom_features.updates.changes import (
    ALL_ROWS,
    LakeTimes,
    lake_times,
    mark_of_stored,
    side_files,
    side_hashes,
    view_since,
)
from axiom_features.updates.watermarks import Mark, read_marks, write_marks
from transforms.catalogue import catalogue
from transforms.compute import plan_for
from transforms.families import family_named
from transforms.specs import ViewSpec


@dataclass
class UpdateResult:
    """What a daily update recomputed."""

    symbols: int
    rows_per_view: dict[str, int] = field(default_factory=dict)
    """Rows written (recomputed) per view."""
    carried: int = 0
    """Symbol-view tables extended by the incremental state (new bars only)."""
    recomputed: int = 0
    """Symbol-view tables recomputed from a changed bar inside their history (or whole)."""
    changed_latest: dict[str, pd.Timestamp] = field(default_factory=dict)
    """Per view, the earliest recomputed row among symbols whose already stored latest row
    was recomputed (a correction online needs again)."""
    since: dict[str, pd.Timestamp] = field(default_factory=dict)
    """Per view written, its earliest recomputed row over all symbols."""
    run_id: str | None = None


def _needs(view: ViewSpec) -> frozenset[str]:
    return family_named(catalogue().family_of(view.name)).needs


def _market_since(
    repo: RepoPaths, views: Sequence[ViewSpec], lakes: dict[str, LakeTimes]
) -> pd.Timestamp | None:
    """The earliest bar change of any symbol, against the marks of a view reading the market."""
    reading = [v for v in views if "market" in _needs(v)]
    if not reading:
        return None
    marks = read_marks(repo, reading[0].name, reading[0].version)
    found = []
    for symbol, lake in lakes.items():
        mark = marks.get(symbol)
        found.append(ALL_ROWS if mark is None else lake.changed_since(mark.bars))
    found = [f for f in found if f is not None]
    return min(found) if found else None


def _key_tables(
    views: list[ViewSpec], frame: pd.DataFrame, created: datetime
) -> dict[str, pa.Table]:
    """Each view's offline table from the incremental state's rows (one matrix, sliced)."""
    n = len(frame)
    keys = [
        pa.array(frame["symbol"].astype(str), pa.string()),
        pa.array(frame["event_timestamp"]).cast(UTC_TIMESTAMP),
        pa.repeat(pa.scalar(created, UTC_TIMESTAMP), n),
    ]
    position = {name: i for i, name in enumerate(frame.columns)}
    values = frame.iloc[:, 2:].to_numpy(dtype="float64")
    offset = 2
    tables = {}
    for view in views:
        columns = [pa.array(values[:, position[f] - offset]) for f in view.feature_names]
        tables[view.name] = pa.Table.from_arrays(keys + columns, schema=offline_schema(view))
    return tables


def _carried(
    repo: RepoPaths,
    symbol: str,
    views: list[ViewSpec],
    since: pd.Timestamp,
    created: datetime,
) -> dict[str, pa.Table]:
    """The TA-Lib views' rows from ``since`` on, carried by the incremental state."""
    stamps, arrays = read_bars(symbol_file(repo.bars, symbol))
    bars = pd.DataFrame({"symbol": symbol, "event_timestamp": stamps.to_pandas(), **arrays})
    new = bars["event_timestamp"] >= since
    state = incremental.warm(bars[~new], views)
    rows = incremental.update(state, bars[new])
    return _key_tables(views, rows, created)


def update_offline(
    repo: RepoPaths,
    *,
    created: datetime,
    views: Sequence[str] | None = None,
    symbols: Sequence[str] | None = None,
) -> UpdateResult:
    """Bring the offline tables of ``views`` for ``symbols`` (defaults: all) up to the lake,
    recomputing only rows from each view's first changed bar; then commit the marks."""
    recover(repo)
    specs = catalogue().select(views)
    chosen = lake_symbols(repo) if symbols is None else list(dict.fromkeys(symbols))
    lakes = {symbol: lake_times(repo, symbol) for symbol in chosen}
    corrections = {s: pd.Timestamp(t) for s, t in recompute_marks(repo).items()}
    market = _market_since(repo, specs, lakes)
    needs = {need for view in specs for need in _needs(view)}
    market_path: Path | None = write_market_closes(repo) if "market" in needs else None
    marks = {v.name: read_marks(repo, v.name, v.version) for v in specs}
    result = UpdateResult(symbols=len(chosen))
    for symbol, lake in lakes.items():
        since: dict[str, pd.Timestamp] = {}
        appended: set[str] = set()
        for view in specs:
            stored = symbol_file(repo.offline_view(view.name), symbol)
            files = side_files(repo, symbol, _needs(view))
            mark = marks[view.name].get(symbol) if stored.is_file() else None
            bootstrapped = mark is None
            if bootstrapped:
                mark = mark_of_stored(stored, view.version, files)
            sides = side_hashes(files)
            found = view_since(
                mark,
                lake,
                sides,
                corrections.get(symbol),
                market if "market" in _needs(view) else None,
            )
            if found is not None:
                since[view.name] = found
                result.since[view.name] = min(result.since.get(view.name, found), found)
            if found is not None or bootstrapped:
                marks[view.name][symbol] = Mark(
                    through=lake.through.isoformat(),
                    bars=lake.newest_receipt.isoformat(),
                    **sides,
                )
            if found is None or mark is None:
                continue
            if found > pd.Timestamp(mark.through):
                appended.add(view.name)
            else:
                earliest = result.changed_latest.get(view.name, found)
                result.changed_latest[view.name] = min(earliest, found)
        _update_symbol(repo, symbol, specs, since, appended, created, market_path, result)
    for view in specs:
        write_marks(repo, view.name, view.version, marks[view.name])
    if views is None:
        clear_marks(repo, chosen)
    return result


def _update_symbol(
    repo: RepoPaths,
    symbol: str,
    specs: list[ViewSpec],
    since: dict[str, pd.Timestamp],
    appended: set[str],
    created: datetime,
    market_path: Path | None,
    result: UpdateResult,
) -> None:
    """Write the rows of ``symbol`` from each view's ``since`` on; ``appended`` views only
    gained bars after their stored ones."""
    if not since:
        return
    by_name = {v.name: v for v in specs}
    fresh: dict[str, pa.Table] = {}
    groups: dict[pd.Timestamp, list[ViewSpec]] = {}
    for view in talib_only(specs):
        if view.name in appended:
            groups.setdefault(since[view.name], []).append(view)
    for start, group in groups.items():
        fresh.update(_carried(repo, symbol, group, start, created))
        result.carried += len(group)
    rest = [by_name[n] for n in since if n not in fresh]
    if rest:
        plan = plan_for(talib_only(rest))
        fresh.update(symbol_tables(repo, symbol, rest, plan, created, market_path))
        result.recomputed += len(rest)
    for name, table in fresh.items():
        start = pa.scalar(since[name].to_pydatetime(), UTC_TIMESTAMP)
        written = splice(stored_table(repo, by_name[name], symbol), table, start)
        write_view_table(repo, by_name[name], symbol, written)
        rows = rows_in_range(written, start, None).num_rows
        result.rows_per_view[name] = result.rows_per_view.get(name, 0) + rows
