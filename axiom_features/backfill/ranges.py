"""Recompute the rows of a time range in the offline tables, deterministically.

Each symbol's views are computed from its whole series in the lake (a value depends only on
bars at or before its own, so rows after the range change nothing), and the file keeps its
rows outside ``[start, end]`` while the range's rows are replaced. Rows carry the run's
``created`` time, so a backfill given the same lake and ``created`` as a from-scratch
transform writes the same bytes.
"""

from __future__ import annotations

import math
import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from axiom_features.backfill.digests import rows_in_range, time_bound, values_digest
from axiom_features.lakes.checksums import read_checked
from axiom_features.lakes.symbols import symbol_file
from axiom_features.lakes.transaction import recover
from axiom_features.paths import RepoPaths
from axiom_features.pipeline.family_inputs import write_market_closes
from axiom_features.pipeline.transform_job import (
    lake_symbols,
    offline_schema,
    symbol_tables,
    talib_only,
    write_view_table,
)
from axiom_features.resilience.liveness import die_with_parent
from axiom_features.storage.repo import with_storage
from transforms.catalogue import catalogue
from transforms.compute import plan_for
from transforms.families import family_named
from transforms.specs import ViewSpec

PARALLEL_SYMBOLS = 8
"""Symbols from which a backfill with more than one worker runs in worker processes."""


@dataclass
class BackfillResult:
    """What a backfill rewrote: rows of the range per view, and a digest per view and symbol."""

    start: datetime
    end: datetime
    symbols: list[str]
    views: list[str]
    run_id: str | None = None
    rows_per_view: dict[str, int] = field(default_factory=dict)
    digests: dict[str, dict[str, str]] = field(default_factory=dict)
    """``{view: {symbol: values digest of the range's rows}}``."""


def splice(
    existing: pa.Table | None,
    fresh: pa.Table,
    start: pa.Scalar,
    end: pa.Scalar | None = None,
) -> pa.Table:
    """``existing`` with its rows in ``[start, end]`` (``end`` None: to the last row)
    replaced by ``fresh``'s, in time order."""
    inside = rows_in_range(fresh, start, end)
    if existing is None:
        return inside.combine_chunks()
    stamps = existing.column("event_timestamp")
    keep = pc.less(stamps, start.cast(stamps.type))
    if end is not None:
        keep = pc.or_(keep, pc.greater(stamps, end.cast(stamps.type)))
    merged = pa.concat_tables([existing.filter(keep).cast(fresh.schema), inside])
    order = pc.sort_indices(merged, [("event_timestamp", "ascending")])
    return merged.take(order).combine_chunks()


def stored_table(repo: RepoPaths, view: ViewSpec, symbol: str) -> pa.Table | None:
    """The view's stored table for ``symbol`` if it has the current version's columns."""
    path = symbol_file(repo.offline_view(view.name), symbol)
    if not path.is_file():
        return None
    table = read_checked(path)
    return table if table.schema.names == offline_schema(view).names else None


def _kept_rows_possible(path: Path, low: pa.Scalar, high: pa.Scalar) -> bool:
    """Whether the stored file may hold rows outside ``[low, high]`` (from its statistics;
    True when it has none), so a range covering the whole table need not read it."""
    if not path.is_file():
        return False
    try:
        metadata = pq.read_metadata(path)
        column = metadata.schema.names.index("event_timestamp")
        bounds = [
            metadata.row_group(i).column(column).statistics for i in range(metadata.num_row_groups)
        ]
        if not bounds or any(b is None or not b.has_min_max for b in bounds):
            return True
        first = pa.scalar(min(b.min for b in bounds)).cast(low.type)
        last = pa.scalar(max(b.max for b in bounds)).cast(high.type)
    except (pa.ArrowException, OSError, ValueError):
        return True
    return pc.less(first, low).as_py() or pc.greater(last, high).as_py()


@dataclass
class SymbolRange:
    """One symbol's rewritten range: rows and values digest per view."""

    symbol: str
    rows: dict[str, int]
    digests: dict[str, str]


def backfill_symbols(
    repo: RepoPaths,
    symbols: list[str],
    view_names: list[str],
    created: datetime,
    low: pa.Scalar,
    high: pa.Scalar,
    market_path: Path | None,
) -> list[SymbolRange]:
    """Recompute ``[low, high]`` of the views for each symbol and write its files (also a
    worker's entry point)."""
    specs = catalogue().select(view_names)
    plan = plan_for(talib_only(specs))
    by_name = {v.name: v for v in specs}
    done = []
    for symbol in symbols:
        tables = symbol_tables(repo, symbol, specs, plan, created, market_path)
        outcome = SymbolRange(symbol, {}, {})
        for name, fresh in tables.items():
            view = by_name[name]
            path = symbol_file(repo.offline_view(name), symbol)
            existing = (
                stored_table(repo, view, symbol) if _kept_rows_possible(path, low, high) else None
            )
            table = splice(existing, fresh, low, high)
            write_view_table(repo, view, symbol, table)
            inside = rows_in_range(table, low, high)
            outcome.rows[name] = inside.num_rows
            outcome.digests[name] = values_digest(inside)
        done.append(outcome)
    return done


def _in_workers(
    repo: RepoPaths, symbols: list[str], arguments: tuple, workers: int
) -> list[SymbolRange]:
    """:func:`backfill_symbols` over batches of symbols in ``workers`` processes."""
    size = max(1, math.ceil(len(symbols) / (workers * 4)))
    batches = [symbols[i : i + size] for i in range(0, len(symbols), size)]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=die_with_parent) as pool:
        handed = with_storage(repo)
        futures = [pool.submit(backfill_symbols, handed, batch, *arguments) for batch in batches]
        return [outcome for future in futures for outcome in future.result()]


def backfill_range(
    repo: RepoPaths,
    start: datetime,
    end: datetime,
    *,
    created: datetime,
    views: Sequence[str] | None = None,
    symbols: Sequence[str] | None = None,
    workers: int = 1,
) -> BackfillResult:
    """Recompute ``[start, end]`` of ``views`` (default all) for ``symbols`` (default the
    lake's), in ``workers`` processes; returns the rows rewritten and each range's values
    digest (the same whatever the number of workers)."""
    if end < start:
        raise ValueError(f"backfill: --end {end:%Y-%m-%d} is before --start {start:%Y-%m-%d}")
    recover(repo)
    cat = catalogue()
    specs = cat.select(views)
    chosen = lake_symbols(repo) if symbols is None else list(dict.fromkeys(symbols))
    missing = [s for s in chosen if not symbol_file(repo.bars, s).is_file()]
    if missing:
        raise FileNotFoundError(f"no bars in {repo.bars} for symbols: {', '.join(missing)}")
    needs = {need for view in specs for need in family_named(cat.family_of(view.name)).needs}
    market_path: Path | None = write_market_closes(repo) if "market" in needs else None
    low, high = time_bound(start), time_bound(end)
    result = BackfillResult(start, end, chosen, [v.name for v in specs])
    arguments = ([v.name for v in specs], created, low, high, market_path)
    if workers > 1 and len(chosen) >= PARALLEL_SYMBOLS:
        outcomes = _in_workers(repo, chosen, arguments, workers)
    else:
        outcomes = backfill_symbols(repo, chosen, *arguments)
    for outcome in outcomes:
        for name, rows in outcome.rows.items():
            result.rows_per_view[name] = result.rows_per_view.get(name, 0) + rows
            result.digests.setdefault(name, {})[outcome.symbol] = outcome.digests[name]
    return result
