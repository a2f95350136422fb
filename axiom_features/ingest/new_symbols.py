"""Store an import's accepted bars in the bar lake, writing new symbols in one Arrow pass.

:meth:`BarLake.upsert <axiom_features.lakes.symbol_store.SymbolStore.upsert>` merges
each symbol's offer with what the lake holds, in pandas, one symbol at a time. For a symbol
the lake and the transaction do not hold yet, whose offer repeats no key and has every
provenance value, that merge is only a sort by (event_timestamp, source): here it is done
for all such symbols at once in Arrow, and each file gets the very table (values, order and
schema metadata) ``upsert`` would have written, so the lake holds the same bytes. Every
other symbol goes through ``upsert``.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from axiom_features.lakes.bars import BarLake, UpsertResult
from axiom_features.lakes.transaction import Transaction

WRITERS = 2
"""Threads encoding lake files at once."""


def store_accepted(lake: BarLake, rows: pa.Table, transaction: Transaction) -> UpsertResult:
    """Offer ``rows`` (the lake's columns, in offer order) to ``lake`` within ``transaction``."""
    table = _in_lake_schema(lake, rows)
    if not table.num_rows:
        return UpsertResult(0, 0, 0)
    order = pc.sort_indices(
        table,
        sort_keys=[("symbol", "ascending"), *((c, "ascending") for c in lake.sort_by)],
    )
    ordered = table.take(order)
    symbols = ordered.column("symbol").combine_chunks()
    starts, names = _runs(symbols)
    repeated = _repeated_key_symbols(ordered, lake.key, starts)
    complete = all(
        ordered.column(f.name).null_count == 0 for f in lake.schema if pa.types.is_integer(f.type)
    )
    metadata = _pandas_metadata(lake, ordered) if complete else None
    fallback: list[str] = []
    files: list[tuple[pa.Table, Path]] = []
    bounds = [*starts.tolist(), ordered.num_rows]
    for k, symbol in enumerate(names):
        path = lake.path(symbol)
        if metadata is None or repeated[k] or transaction.current(path) is not None:
            fallback.append(symbol)
            continue
        part = ordered.slice(bounds[k], bounds[k + 1] - bounds[k])
        files.append((part.replace_schema_metadata(metadata), path))
    _stage_files(transaction, files)
    result = UpsertResult(sum(t.num_rows for t, _ in files), 0, 0)
    if fallback:
        mask = pc.is_in(table.column("symbol"), value_set=pa.array(fallback, pa.string()))
        rest = table.filter(mask).to_pandas()
        result = result.plus(lake.upsert(rest, transaction))
    return result


def _stage_files(transaction: Transaction, files: list[tuple[pa.Table, Path]]) -> None:
    """Stage each table as its target's new content, as :meth:`Transaction.write_table`
    names and records it, with the Parquet encoding spread over :data:`WRITERS` threads
    (Arrow encodes without the interpreter lock)."""
    if not files:
        return
    transaction.folder.mkdir(parents=True, exist_ok=True)
    jobs = []
    for table, target in files:
        staged = transaction.folder / f"{len(transaction.staged):06d}.parquet"
        transaction.staged[target] = staged
        jobs.append((table, staged))
    with ThreadPoolExecutor(WRITERS) as pool:
        list(pool.map(lambda job: pq.write_table(*job), jobs))


def _in_lake_schema(lake: BarLake, rows: pa.Table) -> pa.Table:
    """``rows`` as :meth:`BarLake._incoming` sees them: the lake's columns and types."""
    missing = [f for f in lake.schema if f.name not in rows.column_names]
    for field in missing:
        rows = rows.append_column(field, pa.nulls(rows.num_rows, field.type))
    return rows.select(lake.schema.names).cast(lake.schema)


def _runs(values: pa.Array) -> tuple[np.ndarray, list[str]]:
    """Start of each run of equal values in sorted ``values``, and each run's value."""
    encoded = pc.dictionary_encode(values)
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]]) if len(codes) else codes
    names = encoded.dictionary.to_pylist()
    return starts, [names[c] for c in codes[starts]]


def _repeated_key_symbols(ordered: pa.Table, key: list[str], starts: np.ndarray) -> np.ndarray:
    """Per symbol run: whether two of its rows share the key (sorted, so they are adjacent
    in the sort columns the key shares)."""
    n = ordered.num_rows
    same = np.ones(max(n - 1, 0), dtype=bool)
    for name in key:
        column = ordered.column(name).combine_chunks()
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            values = pc.dictionary_encode(column).indices.to_numpy(zero_copy_only=False)
        else:
            values = column.cast(pa.int64()).to_numpy(zero_copy_only=False)
        same &= values[1:] == values[:-1]
    run = np.searchsorted(starts, np.arange(1, n), side="right") - 1
    repeated = np.zeros(len(starts), dtype=bool)
    np.logical_or.at(repeated, run[same], True)
    return repeated


def _pandas_metadata(lake: BarLake, ordered: pa.Table) -> dict[bytes, bytes]:
    """The schema metadata ``upsert`` writes: the lake schema's and pandas' own, which
    depend on the frame's dtypes only (those of ``ordered`` read into pandas)."""
    frame = ordered.slice(0, 1).to_pandas()
    return pa.Table.from_pandas(frame, schema=lake.schema, preserve_index=False).schema.metadata
