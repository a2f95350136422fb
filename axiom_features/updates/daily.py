"""The daily update of the offline tables: each view's rows from its first changed bar on.

Per symbol, every view whose rows changed (:mod:`axiom_features.updates.changes` says from
where: new bars after the stored ones, a late or corrected bar, a new filing or headline, a
changed market) is computed on the symbol's whole series by the transform job's own code,
and its rows from the change on replace the stored ones, so they are the bytes a full
recompute writes. For the TA-Lib views a batch call on the series costs what opening
TA-Lib's stream handles on it costs (the handles cannot be saved between runs). Symbols are
spread over worker processes.

Rows before the change keep their bytes and created time. The marks are written after
every table (:mod:`axiom_features.updates.watermarks`).
"""

from __future__ import annotations

import math
import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa

from axiom_features.backfill.digests import rows_in_range
from axiom_features.backfill.ranges import splice, stored_table
from axiom_features.contracts import UTC_TIMESTAMP
from axiom_features.lakes.history import clear_marks, recompute_marks
from axiom_features.lakes.symbols import symbol_file
from axiom_features.lakes.transaction import recover
from axiom_features.paths import RepoPaths
from axiom_features.pipeline.family_inputs import write_market_closes
from axiom_features.pipeline.transform_job import (
    lake_symbols,
    symbol_tables,
    talib_only,
    write_view_table,
)
from axiom_features.resilience.liveness import die_with_parent
from axiom_features.storage.repo import with_storage
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

PARALLEL_SYMBOLS = 16
"""Symbols to rewrite from which an update with more than one worker runs in processes."""


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


def update_offline(
    repo: RepoPaths,
    *,
    created: datetime,
    views: Sequence[str] | None = None,
    symbols: Sequence[str] | None = None,
    workers: int = 1,
) -> UpdateResult:
    """Bring the offline tables of ``views`` for ``symbols`` (defaults: all) up to the lake,
    recomputing only rows from each view's first changed bar (symbols spread over
    ``workers`` processes); then commit the marks."""
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
    work: list[SymbolWork] = []
    for symbol, lake in lakes.items():
        since: dict[str, pd.Timestamp] = {}
        appended: set[str] = set()
        every_file = side_files(repo, symbol, frozenset(needs))
        every_hash = side_hashes(every_file)  # each file hashed once, not once per view
        for view in specs:
            stored = symbol_file(repo.offline_view(view.name), symbol)
            files = {need: every_file[need] for need in every_file if need in _needs(view)}
            mark = marks[view.name].get(symbol) if stored.is_file() else None
            bootstrapped = mark is None
            if bootstrapped:
                mark = mark_of_stored(stored, view.version, files)
            sides = {need: every_hash[need] for need in files}
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
        if since:
            work.append(SymbolWork(symbol, since, appended))
    names = [v.name for v in specs]
    if workers > 1 and len(work) >= PARALLEL_SYMBOLS:
        outcomes = _in_workers(repo, work, names, created, market_path, workers)
    else:
        outcomes = update_symbols(repo, work, names, created, market_path)
    for outcome in outcomes:
        result.carried += outcome.carried
        result.recomputed += outcome.recomputed
        for name, rows in outcome.rows.items():
            result.rows_per_view[name] = result.rows_per_view.get(name, 0) + rows
    for view in specs:
        write_marks(repo, view.name, view.version, marks[view.name])
    if views is None:
        clear_marks(repo, chosen)
    return result


@dataclass(frozen=True)
class SymbolWork:
    """What to rewrite for one symbol: each view's first changed row; ``appended`` views
    only gained bars after their stored ones."""

    symbol: str
    since: dict[str, pd.Timestamp]
    appended: set[str]


@dataclass(frozen=True)
class SymbolOutcome:
    """Rows one symbol's update wrote per view, and how many tables were extended or
    recomputed."""

    rows: dict[str, int]
    carried: int
    recomputed: int


def update_symbols(
    repo: RepoPaths,
    work: list[SymbolWork],
    view_names: list[str],
    created: datetime,
    market_path: Path | None,
) -> list[SymbolOutcome]:
    """Write each symbol's rows from each view's ``since`` on (also a worker's entry point).

    Every changed view is computed on the symbol's whole series by the transform job's own
    code, so the new rows are its bytes: for the TA-Lib views that costs what opening
    TA-Lib's stream handles on the same series costs, and needs no pandas."""
    specs = {v.name: v for v in catalogue().select(view_names)}
    outcomes = []
    for item in work:
        chosen = [specs[name] for name in view_names if name in item.since]
        plan = plan_for(talib_only(chosen))
        fresh = symbol_tables(repo, item.symbol, chosen, plan, created, market_path)
        rows = {}
        for name, table in fresh.items():
            start = pa.scalar(item.since[name].to_pydatetime(), UTC_TIMESTAMP)
            written = splice(stored_table(repo, specs[name], item.symbol), table, start)
            write_view_table(repo, specs[name], item.symbol, written)
            rows[name] = rows_in_range(written, start, None).num_rows
        carried = sum(1 for v in talib_only(chosen) if v.name in item.appended)
        outcomes.append(SymbolOutcome(rows, carried, len(chosen) - carried))
    return outcomes


def _in_workers(
    repo: RepoPaths,
    work: list[SymbolWork],
    view_names: list[str],
    created: datetime,
    market_path: Path | None,
    workers: int,
) -> list[SymbolOutcome]:
    """:func:`update_symbols` over batches of symbols in ``workers`` processes."""
    size = max(1, math.ceil(len(work) / (workers * 4)))
    batches = [work[i : i + size] for i in range(0, len(work), size)]
    context = multiprocessing.get_context("spawn")
    handed = with_storage(repo)
    with ProcessPoolExecutor(workers, mp_context=context, initializer=die_with_parent) as pool:
        futures = [
            pool.submit(update_symbols, handed, batch, view_names, created, market_path)
            for batch in batches
        ]
        return [outcome for future in futures for outcome in future.result()]
