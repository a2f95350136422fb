"""Pushing rows into a Parquet offline table laid out as one file per entity key."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from axiom_features.contracts.symbols import symbol_problem
from axiom_features.lakes.symbols import symbol_file


def _write_atomic(table: pa.Table, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        pq.write_table(table, tmp, compression="snappy")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_batch_by_entity(
    folder: Path,
    key: str,
    timestamp_field: str,
    created_timestamp_column: str | None,
    batch: pa.Table,
) -> list[Path]:
    """Append ``batch`` to ``folder/<key value>.parquet`` for each key value it holds, keeping
    each file's schema and time order; returns the files written."""
    if key not in batch.column_names:
        raise ValueError(f"offline write: the batch has no join key column {key!r}")
    written = []
    for value in pc.unique(batch.column(key)).to_pylist():
        name = str(value)
        if symbol_problem(name):
            raise ValueError(f"offline write: {key}={value!r} is {symbol_problem(name)}")
        path = symbol_file(folder, name)
        rows = batch.filter(pc.equal(batch.column(key), value))
        if path.exists():
            existing = pq.read_table(path)
            missing = [c for c in existing.column_names if c not in rows.column_names]
            if missing:
                raise ValueError(f"offline write: the batch lacks column(s) {missing} of {path}")
            rows = rows.select(existing.column_names).cast(existing.schema)
            rows = pa.concat_tables([existing, rows])
        order = [(timestamp_field, "ascending")]
        if created_timestamp_column and created_timestamp_column in rows.column_names:
            order.append((created_timestamp_column, "ascending"))
        indices = pc.sort_indices(rows, sort_keys=order)
        if not np.array_equal(indices.to_numpy(), np.arange(rows.num_rows)):
            rows = rows.take(indices)
        _write_atomic(rows, path)
        written.append(path)
    return written
