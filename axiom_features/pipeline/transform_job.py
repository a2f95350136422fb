"""The transform job: lake bars in, one offline feature table per view and symbol out.

For each symbol it reads ``data/lake/bars/<SYMBOL>.parquet``, computes the catalogue's
views (:mod:`transforms.compute`) and writes ``data/offline/<view>/<SYMBOL>.parquet`` with
``symbol``, ``event_timestamp``, ``created_timestamp`` (the job's start) and the view's
float64 features; the schema metadata carries the view's name and version. Writes are
atomic (temporary file, then ``os.replace``). Warm-up rows hold NaN, not null.

With ``workers > 1`` symbols are spread over worker processes ("spawn": no state inherited
from the parent, so nothing depends on what the caller imported or threads it started),
a few batches in flight at a time. A worker holds one symbol's outputs at once and returns
only row counts, so memory stays bounded whatever the number of symbols. Workers die with
the job's process (``PR_SET_PDEATHSIG``): a killed job leaves no worker writing files.

With Ray selected (:mod:`axiom_features.scaleout.settings`) and enough symbols, the same
batches run as plain Ray tasks on the cluster's nodes. Bars are read and tables written
through the repo's storage (:mod:`axiom_features.storage`): the ``data/`` folder, or a
shared folder or bucket that every node reaches; workers get the driver's storage settings.
A batch rerun after its node died rewrites the same files.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from axiom_features.contracts import BAR_SCHEMA, UTC_TIMESTAMP, ContractError, check_schema
from axiom_features.lakes.checksums import read_checked, record_checksum, write_checked
from axiom_features.lakes.history import clear_marks
from axiom_features.lakes.symbols import stored_symbols, symbol_file
from axiom_features.lakes.transaction import recover
from axiom_features.paths import RepoPaths
from axiom_features.pipeline.family_inputs import (
    read_market,
    symbol_inputs,
    write_market_closes,
)
from axiom_features.pipeline.versions import archive_if_changed, save_snapshot
from axiom_features.resilience.liveness import die_with_parent
from axiom_features.scaleout.cluster import cluster_cpus, ray_session
from axiom_features.scaleout.settings import ComputeSettings, compute_settings
from axiom_features.scaleout.tasks import run_batches
from axiom_features.storage.repo import settings_of, storage_of
from axiom_features.storage.settings import StorageSettings
from axiom_features.storage.store import Storage
from transforms.catalogue import catalogue
from transforms.compute import Plan, compute_matrix, plan_for
from transforms.families import family_named
from transforms.risk import market_of_one
from transforms.specs import ViewSpec

Progress = Callable[[int, int], None]

_BAR_COLUMNS = ("event_timestamp", "open", "high", "low", "close", "volume")
_BARS_READ = pa.schema([BAR_SCHEMA.field(name) for name in _BAR_COLUMNS])
_KEY_FIELDS = [
    pa.field("symbol", pa.string(), nullable=False),
    pa.field("event_timestamp", UTC_TIMESTAMP, nullable=False),
    pa.field("created_timestamp", UTC_TIMESTAMP, nullable=False),
]


@dataclass
class TransformResult:
    """What one run of the transform job did."""

    symbols: int
    rows_per_view: dict[str, int]
    views: list[str]
    elapsed_seconds: float
    paths: list[Path] = field(default_factory=list)
    created_timestamp: datetime | None = None
    view_versions: dict[str, str] = field(default_factory=dict)
    archived: dict[str, Path] = field(default_factory=dict)
    """Views whose older version's offline data was moved aside, and where to."""
    non_finite: dict[str, int] = field(default_factory=dict)
    """Views that received infinite values, and how many (NaN warm-up rows not counted)."""
    notes: list[str] = field(default_factory=list)
    """What the user should know about the values written (e.g. a missing benchmark)."""
    engine: str = "local"
    """Where the symbols were computed: ``local`` or ``ray``."""
    batches_per_node: dict[str, int] = field(default_factory=dict)
    """With Ray: how many symbol batches each cluster node ran."""


@dataclass
class SymbolOutcome:
    """What one symbol's transform wrote: rows per view, infinite values per view."""

    rows: dict[str, int]
    non_finite: dict[str, int]


def offline_schema(view: ViewSpec) -> pa.Schema:
    """The Arrow schema of a view's offline table, with the view's version as metadata."""
    return pa.schema(
        [*_KEY_FIELDS, *[pa.field(f.name, pa.float64()) for f in view.features]],
        metadata={
            b"contract": b"offline_view",
            b"view": view.name.encode(),
            b"view_version": view.version.encode(),
            b"transform_versions": ",".join(sorted({f.version for f in view.features})).encode(),
        },
    )


def lake_symbols(repo: RepoPaths) -> list[str]:
    """Every symbol with a bars file in the lake, sorted (the symbols, not the file names)."""
    return stored_symbols(repo.bars, storage_of(repo))


def read_bars(path: Path, storage: Storage | None = None) -> tuple[pa.Array, dict[str, np.ndarray]]:
    """One symbol's timestamps and contiguous float64 OHLCV arrays, in time order (read
    from ``storage``, else this machine's disk)."""
    table = read_checked(path, columns=list(_BAR_COLUMNS), storage=storage)
    check_schema(table, _BARS_READ, path)
    table = table.combine_chunks()
    stamps = (
        table.column("event_timestamp").chunk(0) if table.num_rows else pa.array([], UTC_TIMESTAMP)
    )
    ticks = stamps.cast(pa.int64()).to_numpy(zero_copy_only=False)
    if np.any(ticks[1:] < ticks[:-1]):
        order = np.argsort(ticks, kind="stable")
        table, ticks = table.take(order), ticks[order]
        stamps = table.column("event_timestamp").combine_chunks()
    if np.any(ticks[1:] == ticks[:-1]):
        raise ContractError(f"{path}: column 'event_timestamp' has duplicate timestamps")
    arrays = {
        name: np.ascontiguousarray(table.column(name).to_numpy().astype(np.float64, copy=False))
        for name in _BAR_COLUMNS[1:]
    }
    return stamps, arrays


def _write_atomic(table: pa.Table, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        pq.write_table(table, tmp, compression="snappy", use_dictionary=["symbol"])
        os.replace(tmp, path)
        record_checksum(path)
    finally:
        tmp.unlink(missing_ok=True)


def talib_only(views: Sequence[ViewSpec]) -> list[ViewSpec]:
    """The views computed by the TA-Lib fast path (one matrix per symbol)."""
    return [v for v in views if catalogue().family_of(v.name) == "talib"]


def write_view_table(repo: RepoPaths, view: ViewSpec, symbol: str, table: pa.Table) -> int:
    """Write one view's table for ``symbol``; returns how many infinite values it holds."""
    out_dir = repo.offline_view(view.name)
    storage = storage_of(repo)
    if storage.in_place:
        out_dir.mkdir(parents=True, exist_ok=True)
        _write_atomic(table, symbol_file(out_dir, symbol))
    else:
        options = {"compression": "snappy", "use_dictionary": ["symbol"]}
        write_checked(storage, table, symbol_file(out_dir, symbol), **options)
    return sum(
        int(np.isinf(table.column(f).to_numpy(zero_copy_only=False)).sum())
        for f in view.feature_names
    )


def symbol_tables(
    repo: RepoPaths,
    symbol: str,
    views: Sequence[ViewSpec],
    plan: Plan,
    created: datetime,
    market_path: Path | None = None,
) -> dict[str, pa.Table]:
    """Every view's offline table for one symbol, computed from its whole series in the lake.

    ``plan`` covers the TA-Lib views among ``views``; the other families compute from a
    :class:`~transforms.family.SymbolInputs` holding what they asked for.
    """
    stamps, arrays = read_bars(symbol_file(repo.bars, symbol), storage_of(repo))
    n = len(stamps)
    keys = [
        pa.repeat(pa.scalar(symbol, pa.string()), n),
        stamps,
        pa.repeat(pa.scalar(created, UTC_TIMESTAMP), n),
    ]
    tables: dict[str, pa.Table] = {}
    fast = talib_only(views)
    if fast:
        matrix = compute_matrix(plan, arrays)
        for view, (_, start, end) in zip(fast, plan.views, strict=True):
            columns = [pa.array(matrix[r]) for r in range(start, end)]
            tables[view.name] = pa.Table.from_arrays(keys + columns, schema=offline_schema(view))
    others = [v for v in views if v not in fast]
    if others:
        bars = pd.DataFrame({"event_timestamp": stamps.to_pandas(), **arrays})
        for family_name, family_views in _by_family(others).items():
            family = family_named(family_name)
            inputs = symbol_inputs(repo, symbol, bars, family.needs, market_path)
            frame = family.compute(family_views, inputs)
            for view in family_views:
                columns = [pa.array(frame[f].to_numpy(np.float64)) for f in view.feature_names]
                tables[view.name] = pa.Table.from_arrays(
                    keys + columns, schema=offline_schema(view)
                )
    return tables


def transform_symbol(
    repo: RepoPaths,
    symbol: str,
    views: Sequence[ViewSpec],
    plan: Plan,
    created: datetime,
    market_path: Path | None = None,
) -> SymbolOutcome:
    """Compute and write every view for one symbol; returns rows and infinities per view."""
    by_name = {v.name: v for v in views}
    rows, infinite = {}, {}
    for name, table in symbol_tables(repo, symbol, views, plan, created, market_path).items():
        infinite[name] = write_view_table(repo, by_name[name], symbol, table)
        rows[name] = table.num_rows
    return SymbolOutcome(rows, {v: k for v, k in infinite.items() if k})


def _by_family(views: Sequence[ViewSpec]) -> dict[str, list[ViewSpec]]:
    groups: dict[str, list[ViewSpec]] = {}
    for view in views:
        groups.setdefault(catalogue().family_of(view.name), []).append(view)
    return groups


def _transform_batch(
    root: str,
    symbols: list[str],
    view_names: list[str],
    created: datetime,
    market_path: str | None = None,
    storage: StorageSettings | None = None,
) -> list[SymbolOutcome]:
    """Worker entry point: transform a batch of symbols one at a time; ``storage`` is
    where the driver's lakes and offline tables are."""
    repo = RepoPaths(Path(root), storage=storage)
    views = catalogue().select(view_names)
    plan = plan_for(talib_only(views))
    market = Path(market_path) if market_path else None
    return [transform_symbol(repo, symbol, views, plan, created, market) for symbol in symbols]


def _batches(symbols: list[str], size: int) -> list[list[str]]:
    return [symbols[i : i + size] for i in range(0, len(symbols), size)]


def _run_parallel(
    repo: RepoPaths,
    symbols: list[str],
    view_names: list[str],
    created: datetime,
    workers: int,
    batch_size: int,
    on_batch: Callable[[list[SymbolOutcome], int], None],
    market_path: Path | None,
) -> None:
    """Spread batches over ``workers`` processes, at most ``2 * workers`` batches in flight."""
    size = max(1, min(batch_size, math.ceil(len(symbols) / (workers * 4))))
    pending = iter(_batches(symbols, size))
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=die_with_parent
    ) as pool:
        running: dict[Future, int] = {}

        def submit() -> None:
            for batch in pending:
                future = pool.submit(
                    _transform_batch,
                    str(repo.root),
                    batch,
                    view_names,
                    created,
                    str(market_path) if market_path else None,
                    settings_of(repo),
                )
                running[future] = len(batch)
                if len(running) >= 2 * workers:
                    return

        submit()
        try:
            while running:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    on_batch(future.result(), running.pop(future))
                submit()
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise


def _run_on_ray(
    repo: RepoPaths,
    symbols: list[str],
    view_names: list[str],
    created: datetime,
    settings: ComputeSettings,
    on_batch: Callable[[list[SymbolOutcome], int], None],
    market_path: Path | None,
) -> dict[str, int]:
    """Symbol batches as Ray tasks, two per cluster CPU in flight; batches run per node."""
    batches = _batches(symbols, settings.batch_size)
    market = str(market_path) if market_path else None
    with ray_session(settings):
        placement = run_batches(
            _transform_batch,
            [
                (str(repo.root), batch, view_names, created, market, settings_of(repo))
                for batch in batches
            ],
            lambda index, outcomes: on_batch(outcomes, len(batches[index])),
            in_flight=2 * cluster_cpus(),
        )
    return dict(placement.batches_per_node)


def profile_written_days(repo: RepoPaths, versions: dict[str, str]) -> None:
    """Day profiles (kind ``offline_daily``) of what was written, under the current run."""
    from axiom_features.ops.offline_profiles import profile_offline_days
    from axiom_features.pipeline.runs import current_run_record, new_run_id

    record = current_run_record()
    profile_offline_days(repo, versions, run_id=record.run_id if record else new_run_id())


def run_transform_job(
    repo: RepoPaths,
    *,
    symbols: list[str] | None = None,
    views: list[str] | None = None,
    workers: int = 1,
    batch_size: int = 50,
    progress: Progress | None = None,
    created: datetime | None = None,
    compute: ComputeSettings | None = None,
) -> TransformResult:
    """Compute ``views`` (default: all) for ``symbols`` (default: the lake's) into the
    offline tables; every row's ``created_timestamp`` is ``created`` (default: now).
    ``compute`` (default: the repo's ``feature_store.yaml`` and the environment) says
    whether Ray runs them."""
    started = time.perf_counter()
    recover(repo)  # an import killed half-way is finished or undone before bars are read
    created = created or datetime.now(UTC)
    cat = catalogue()
    specs = cat.select(views)
    names = [v.name for v in specs]
    chosen = lake_symbols(repo) if symbols is None else list(dict.fromkeys(symbols))
    storage = storage_of(repo)
    missing = [s for s in chosen if not storage.exists(symbol_file(repo.bars, s))]
    if missing:
        where = storage.display(repo.bars)
        raise FileNotFoundError(f"no bars in {where} for symbols: {', '.join(missing)}")
    if workers < 1 or batch_size < 1:
        raise ValueError(f"workers and batch_size must be >= 1, got {workers}, {batch_size}")

    rows = dict.fromkeys(names, 0)
    infinite: dict[str, int] = {}
    done = 0

    def on_batch(outcomes: list[SymbolOutcome], count: int) -> None:
        nonlocal done
        for outcome in outcomes:
            for view, n in outcome.rows.items():
                rows[view] += n
            for view, n in outcome.non_finite.items():
                infinite[view] = infinite.get(view, 0) + n
        done += count
        if progress is not None:
            progress(done, len(chosen))

    archived = {}
    for view in specs:
        moved = archive_if_changed(repo, view)
        if moved is not None:
            archived[view.name] = moved
        save_snapshot(repo, view)
    needs = {need for view in specs for need in family_named(cat.family_of(view.name)).needs}
    market_path = write_market_closes(repo) if "market" in needs else None
    notes = _market_notes(names, market_path, storage)
    settings = compute or compute_settings(repo.root / "feature_store.yaml")
    per_node: dict[str, int] = {}
    if settings.uses_ray(len(chosen)):
        per_node = _run_on_ray(repo, chosen, names, created, settings, on_batch, market_path)
    elif workers == 1 or len(chosen) <= 1:
        plan = plan_for(talib_only(specs))
        for symbol in chosen:
            on_batch([transform_symbol(repo, symbol, specs, plan, created, market_path)], 1)
    else:
        _run_parallel(repo, chosen, names, created, workers, batch_size, on_batch, market_path)

    if views is None:
        clear_marks(repo, chosen)  # every view of these symbols is current again
    profile_written_days(repo, {v.name: v.version for v in specs})
    return TransformResult(
        symbols=len(chosen),
        rows_per_view=rows,
        views=names,
        elapsed_seconds=time.perf_counter() - started,
        paths=[symbol_file(repo.offline_view(v), s) for v in names for s in chosen],
        created_timestamp=created,
        view_versions={v.name: v.version for v in specs},
        archived=archived,
        non_finite=infinite,
        notes=notes,
        engine="ray" if per_node else "local",
        batches_per_node=per_node,
    )


def _market_notes(
    views: list[str], market_path: Path | None, storage: Storage | None = None
) -> list[str]:
    """A note when beta cannot be computed: one symbol in the market and no benchmark."""
    if "risk" not in views or market_path is None:
        return []
    if family_named("risk").benchmark is None and market_of_one(read_market(market_path, storage)):
        return [
            "risk_beta_*: missing on every row: the market holds one symbol, so its "
            "equal-weighted return is the symbol itself; configure a benchmark series"
        ]
    return []
