"""The point-in-time join: which source row answers each entity row, then its values.

Two steps, so that memory stays the size of the result:

1. **Match** (DuckDB, narrow columns only): an ``ASOF JOIN`` of the entity rows against the
   source's join keys and timestamps picks, for each entity row, the source row with the
   latest event time at or before the entity time, ties on event time broken by the latest
   created time; rows older than the view's TTL do not match. Both sides are compared as
   UTC microseconds (entity times are floored to the microsecond), and the ASOF key packs
   ``(event time, created time)`` into one ``HUGEINT`` so the tie-break is part of the
   ordering. The answer is ``(entity row, file, row in file)`` — a few bytes per entity row.
2. **Gather** (PyArrow + NumPy): only the row groups holding matches are read, only their
   feature columns, and matched values are copied straight into one preallocated float64
   matrix (a row per feature, a column per entity row). Non-float columns go through Arrow
   ``take``. Entity rows keep their order; unmatched rows are null (NaN in pandas).

A view whose files sit on a storage that is not a local folder (``ViewRequest.filesystem``,
e.g. S3) is matched on its narrow columns read through that file system into an Arrow table
(with DuckDB's ``filename`` and ``file_row_number``), and gathered by the same row-group reads
through it; local files are read by DuckDB and PyArrow directly, as before.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pyarrow.parquet as pq

ENTITY_TABLE = "__axiom_entity"
SOURCE_TABLE = "__axiom_source"
ROW = "__axiom_row"
EVENT_US = "__axiom_ts_us"
KEY_SHIFT = "18446744073709551616::HUGEINT"  # 2**64: event time in the high half of the key
KEY_LOW_MAX = (
    "18446744073709551615::HUGEINT"  # 2**64 - 1: an entity key is after every created time
)
CREATED_OFFSET = "9223372036854775808::HUGEINT"  # 2**63: created µs as an unsigned low half


@dataclass(frozen=True)
class ViewRequest:
    """What to read from one feature view's source and how to name it."""

    name: str
    files: list[str]
    """Parquet files of the source (absolute paths, or paths on ``filesystem``)."""
    entity_keys: list[str]
    """Join key columns as named in the entity frame."""
    source_keys: list[str]
    """The same join keys as named in the source, in the same order."""
    timestamp_field: str
    created_timestamp_column: str | None
    ttl_us: int | None
    """Oldest accepted age of a value, in microseconds; None for no limit."""
    source_columns: list[str]
    """Source column of each requested feature."""
    output_names: list[str]
    """Output column of each requested feature."""
    filesystem: pafs.FileSystem | None = None
    """The file system ``files`` are on (a storage that is not local); None: local paths."""


@dataclass
class EntityRows:
    """The entity frame as the matcher sees it: join keys, UTC µs time, row number."""

    table: pa.Table
    num_rows: int
    min_us: int | None
    max_us: int | None


def parquet_files(path: str | Path) -> list[str]:
    """The Parquet files of a ``FileSource`` path: the file itself, or every data file under a
    folder (hidden and ``_``-prefixed files skipped, as stock Feast's reader does)."""
    path = Path(path)
    if path.is_file():
        return [str(path)]
    if not path.is_dir():
        return []
    return sorted(ds.dataset(str(path), format="parquet").files)


def utc_microseconds(values: pd.Series | pd.Index | np.ndarray) -> np.ndarray:
    """Timestamps as int64 UTC microseconds, floored; tz-naive values are taken as UTC."""
    stamps = pd.to_datetime(values, utc=True)
    naive = np.asarray(
        stamps.tz_convert(None) if isinstance(stamps, pd.Index) else stamps.dt.tz_convert(None)
    )
    return naive.astype("datetime64[us]").view("int64")


def entity_rows(frame: pd.DataFrame, timestamp_column: str, keys: Sequence[str]) -> EntityRows:
    """The narrow entity table for matching (keys, floored UTC µs, row number)."""
    micros = utc_microseconds(frame[timestamp_column])
    columns = {key: pa.array(frame[key], from_pandas=True) for key in dict.fromkeys(keys)}
    columns[EVENT_US] = pa.array(micros, pa.int64())
    columns[ROW] = pa.array(np.arange(len(frame), dtype=np.int64))
    empty = len(frame) == 0
    return EntityRows(
        table=pa.table(columns),
        num_rows=len(frame),
        min_us=None if empty else int(micros.min()),
        max_us=None if empty else int(micros.max()),
    )


def connect(
    memory_limit: str | None = None, threads: int | None = None, temp_directory: str | None = None
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection in UTC that spills to ``temp_directory`` beyond ``memory_limit``."""
    config: dict[str, str | int] = {}
    if memory_limit:
        config["memory_limit"] = memory_limit
    if threads:
        config["threads"] = threads
    if temp_directory:
        config["temp_directory"] = temp_directory
    con = duckdb.connect(config=config)
    con.execute("SET TimeZone = 'UTC'")
    return con


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def micros_sql(column: str) -> str:
    return f"epoch_us(CAST({ident(column)} AS TIMESTAMPTZ))"


def _as_datetime(micros: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + pd.Timedelta(microseconds=micros).to_pytimedelta()


def _narrow_ctes(view: ViewRequest, entity: EntityRows, with_created: bool) -> tuple[str, list]:
    """``e`` (entity rows) and ``s`` (source keys, times, file and row) for one view."""
    keys_e = "".join(f"{ident(k)} AS k{i}, " for i, k in enumerate(view.entity_keys))
    keys_s = "".join(f"{ident(k)} AS k{i}, " for i, k in enumerate(view.source_keys))
    created_column = view.created_timestamp_column
    created = (
        f"COALESCE({micros_sql(created_column)}::HUGEINT + {CREATED_OFFSET}, 0)"
        if created_column
        else "0::HUGEINT"
    )
    created_us = f"{micros_sql(created_column)} AS c, " if with_created and created_column else ""
    ts = ident(view.timestamp_field)
    scan, params = source_scan(view)
    window = ""
    if entity.max_us is not None:  # lets DuckDB skip row groups outside the entity window
        window = f"WHERE {ts} <= ?"
        params.append(_as_datetime(entity.max_us))
        if view.ttl_us:
            window += f" AND {ts} >= ?"
            params.append(_as_datetime(entity.min_us - view.ttl_us))
    sql = f"""
        WITH e AS (
            SELECT {keys_e}{ROW} AS r, {EVENT_US} AS t,
                   {EVENT_US}::HUGEINT * {KEY_SHIFT} + {KEY_LOW_MAX} AS key
            FROM {ENTITY_TABLE}
        ), s AS (
            SELECT {keys_s}{created_us}{micros_sql(view.timestamp_field)} AS t,
                   {micros_sql(view.timestamp_field)}::HUGEINT * {KEY_SHIFT} + {created} AS key,
                   filename AS f, file_row_number AS n
            FROM {scan}
            {window}
        )
    """
    return sql, params


def match_sql(view: ViewRequest, entity: EntityRows) -> tuple[str, list]:
    """The ASOF query answering ``(entity row, file, row in file)`` for matched rows."""
    ctes, params = _narrow_ctes(view, entity, with_created=False)
    on_keys = "".join(f"e.k{i} = s.k{i} AND " for i in range(len(view.entity_keys)))
    ttl = f"WHERE s.t >= e.t - {int(view.ttl_us)}" if view.ttl_us else ""
    return (
        ctes
        + f"""
        SELECT e.r AS r, s.f AS f, s.n AS n
        FROM e ASOF JOIN s ON {on_keys}e.key >= s.key
        {ttl}
    """,
        params,
    )


def match_exact_sql(
    view: ViewRequest, entity: EntityRows, known_by_entity_time: bool
) -> tuple[str, list]:
    """The same answer as :func:`match_sql` by a range join and ``arg_max``; with
    ``known_by_entity_time`` rows created after the entity time are not candidates."""
    ctes, params = _narrow_ctes(view, entity, with_created=known_by_entity_time)
    on = [f"e.k{i} = s.k{i}" for i in range(len(view.entity_keys))] + ["s.t <= e.t"]
    if view.ttl_us:
        on.append(f"s.t >= e.t - {int(view.ttl_us)}")
    if known_by_entity_time and view.created_timestamp_column:
        on.append("(s.c IS NULL OR s.c <= e.t)")
    return (
        ctes
        + f"""
        SELECT e.r AS r, arg_max(s.f, s.key) AS f, arg_max(s.n, s.key) AS n
        FROM e JOIN s ON {" AND ".join(on)}
        GROUP BY e.r
    """,
        params,
    )


def match(
    con: duckdb.DuckDBPyConnection,
    view: ViewRequest,
    entity: EntityRows,
    *,
    known_by_entity_time: bool = False,
    exact: bool = False,
) -> pa.Table:
    """Matched ``(r, f, n)`` for one view; the entity table must be registered on ``con``
    as ``ENTITY_TABLE``."""
    if not view.files or entity.num_rows == 0:
        return pa.table(
            {
                "r": pa.array([], pa.int64()),
                "f": pa.array([], pa.string()),
                "n": pa.array([], pa.int64()),
            }
        )
    if exact or known_by_entity_time:
        sql, params = match_exact_sql(view, entity, known_by_entity_time)
    else:
        sql, params = match_sql(view, entity)
    return query_source(con, view, sql, params)


def source_scan(view: ViewRequest) -> tuple[str, list]:
    """What a query reads the view's rows from (with ``filename`` and ``file_row_number``),
    and its parameters: DuckDB's Parquet reader over local files, else :data:`SOURCE_TABLE`
    (registered by :func:`query_source`)."""
    if view.filesystem is None:
        return "read_parquet(?, filename = true, file_row_number = true)", [view.files]
    return SOURCE_TABLE, []


def query_source(
    con: duckdb.DuckDBPyConnection, view: ViewRequest, sql: str, params: list
) -> pa.Table:
    """``sql`` (reading :func:`source_scan`) answered on ``con``; a view on a file system has
    its narrow columns read into :data:`SOURCE_TABLE` for the query's length."""
    if view.filesystem is None:
        return con.sql(sql, params=params).to_arrow_table()
    con.register(SOURCE_TABLE, source_table(view))
    try:
        return con.sql(sql, params=params).to_arrow_table()
    finally:
        con.unregister(SOURCE_TABLE)


def source_table(view: ViewRequest) -> pa.Table:
    """The view's join keys and time columns from every file on its file system, with each
    row's file and row number named as DuckDB's ``read_parquet`` names them."""
    filesystem = view.filesystem
    if filesystem is None:
        raise ValueError(f"{view.name}: its files are local; DuckDB reads them itself")
    columns = list(
        dict.fromkeys(
            [
                *view.source_keys,
                view.timestamp_field,
                *([view.created_timestamp_column] if view.created_timestamp_column else []),
            ]
        )
    )

    def one_file(path: str) -> pa.Table:
        with filesystem.open_input_file(path) as source:
            table = pq.ParquetFile(source).read(columns=columns, use_threads=False)
        rows = table.num_rows
        table = table.append_column("filename", pa.repeat(pa.scalar(path, pa.string()), rows))
        return table.append_column(
            "file_row_number", pa.array(np.arange(rows, dtype=np.int64), pa.int64())
        )

    with ThreadPoolExecutor(max_workers=8) as pool:
        tables = list(pool.map(one_file, view.files))
    return pa.concat_tables(tables, promote_options="default")


@dataclass
class Gathered:
    """Feature values of every entity row, in entity order."""

    num_rows: int
    names: list[str] = field(default_factory=list)
    """Output feature columns in order."""
    floats: np.ndarray | None = None
    """float64 values, shape (float features, rows); NaN where no row matched."""
    float_row: dict[str, int] = field(default_factory=dict)
    valid: dict[str, np.ndarray] = field(default_factory=dict)
    """Per output column: which entity rows matched (shared per view)."""
    others: dict[str, pa.ChunkedArray | pa.Array] = field(default_factory=dict)
    """Columns that are not float64, already in entity order with nulls."""

    def arrow_column(self, name: str) -> pa.Array | pa.ChunkedArray:
        if name in self.others:
            return self.others[name]
        valid = self.valid[name]
        values = self.floats[self.float_row[name]]
        if valid.all():
            return pa.Array.from_buffers(pa.float64(), self.num_rows, [None, pa.py_buffer(values)])
        bitmap = pa.py_buffer(np.packbits(valid, bitorder="little"))
        nulls = int(self.num_rows - np.count_nonzero(valid))
        return pa.Array.from_buffers(
            pa.float64(), self.num_rows, [bitmap, pa.py_buffer(values)], null_count=nulls
        )


def _float_columns(
    files: list[str], columns: list[str], filesystem: pafs.FileSystem | None = None
) -> set[str]:
    schema = pq.read_schema(files[0], filesystem=filesystem)
    return {c for c in columns if c in schema.names and schema.field(c).type == pa.float64()}


def _row_group_starts(meta: pq.FileMetaData) -> np.ndarray:
    sizes = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
    return np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)])


def _read_rows(
    path: str,
    rows_in_file: np.ndarray,
    columns: list[str],
    filesystem: pafs.FileSystem | None = None,
) -> tuple[pa.Table, np.ndarray]:
    """The row groups of ``path`` holding ``rows_in_file`` (only ``columns``), and where each
    wanted row sits in what was read."""
    if filesystem is not None:
        with filesystem.open_input_file(path) as source:
            return _read_rows_of(pq.ParquetFile(source), rows_in_file, columns)
    return _read_rows_of(pq.ParquetFile(path), rows_in_file, columns)


def _read_rows_of(
    parquet: pq.ParquetFile, rows_in_file: np.ndarray, columns: list[str]
) -> tuple[pa.Table, np.ndarray]:
    starts = _row_group_starts(parquet.metadata)
    groups = np.searchsorted(starts, rows_in_file, side="right") - 1
    needed = np.unique(groups)
    table = parquet.read_row_groups(needed.tolist(), columns=columns, use_threads=False)
    sizes = starts[needed + 1] - starts[needed]
    base = np.zeros(len(starts) - 1, dtype=np.int64)
    base[needed] = np.concatenate([[0], np.cumsum(sizes)])[:-1]
    local = rows_in_file - starts[groups] + base[groups]
    return table, local.astype(np.int64, copy=False)


def gather(
    views: Sequence[ViewRequest],
    matches: Sequence[pa.Table],
    num_rows: int,
    *,
    threads: int | None = None,
) -> Gathered:
    """Copy the matched source values of every view into entity order."""
    out = Gathered(num_rows=num_rows)
    float_names: list[str] = []
    view_floats: list[set[str]] = []
    for view in views:
        floats = (
            _float_columns(view.files, view.source_columns, view.filesystem)
            if view.files
            else set(view.source_columns)
        )
        view_floats.append(floats)
        for source, name in zip(view.source_columns, view.output_names, strict=True):
            out.names.append(name)
            if source in floats:
                out.float_row[name] = len(float_names)
                float_names.append(name)
    out.floats = np.empty((len(float_names), num_rows), dtype=np.float64)
    workers = threads or min(4, os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for view, matched, floats in zip(views, matches, view_floats, strict=True):
            valid = np.zeros(num_rows, dtype=bool)
            rows = matched.column("r").to_numpy()
            valid[rows] = True
            other_parts = _gather_view(pool, view, matched, floats, out)
            for name in view.output_names:
                out.valid[name] = valid
            targets = [
                out.float_row[n]
                for s, n in zip(view.source_columns, view.output_names, strict=True)
                if s in floats
            ]
            if targets and not valid.all():
                missing = np.flatnonzero(~valid)
                for target in targets:
                    out.floats[target, missing] = np.nan
            _place_others(view, floats, other_parts, num_rows, out)
    return out


def file_groups(
    matched: pa.Table,
) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Matched rows grouped by file: the files, each match's file index, output row and row
    in its file, the order that sorts matches by file then row, and where each file's run
    starts in that order."""
    encoded = pc.dictionary_encode(matched.column("f")).combine_chunks()
    file_ids = encoded.indices.to_numpy()
    rows = matched.column("r").to_numpy()
    in_file = matched.column("n").to_numpy()
    order = np.lexsort((in_file, file_ids))
    bounds = np.flatnonzero(np.diff(file_ids[order])) + 1
    return encoded.dictionary.to_pylist(), file_ids, rows, in_file, order, bounds


def _gather_view(
    pool: ThreadPoolExecutor, view: ViewRequest, matched: pa.Table, floats: set[str], out: Gathered
) -> list[tuple[np.ndarray, pa.Table]]:
    if matched.num_rows == 0:
        return []
    files, file_ids, rows, in_file, order, bounds = file_groups(matched)
    columns = list(dict.fromkeys(view.source_columns))
    float_pairs = [
        (s, out.float_row[n])
        for s, n in zip(view.source_columns, view.output_names, strict=True)
        if s in floats
    ]
    others = [s for s in columns if s not in floats]

    def one_file(part: np.ndarray) -> tuple[np.ndarray, pa.Table] | None:
        path = files[file_ids[part[0]]]
        table, local = _read_rows(path, in_file[part], columns, view.filesystem)
        targets = rows[part]
        for source, target in float_pairs:
            values = table.column(source).to_numpy()
            out.floats[target, targets] = values[local]
        if others:
            return targets, table.select(others).take(pa.array(local))
        return None

    parts = np.split(order, bounds)
    return [p for p in pool.map(one_file, parts) if p is not None]


def _place_others(
    view: ViewRequest,
    floats: set[str],
    parts: list[tuple[np.ndarray, pa.Table]],
    num_rows: int,
    out: Gathered,
) -> None:
    names = [
        (s, n)
        for s, n in zip(view.source_columns, view.output_names, strict=True)
        if s not in floats
    ]
    if not names:
        return
    if parts:
        rows = np.concatenate([p[0] for p in parts])
        table = pa.concat_tables([p[1] for p in parts])
    else:
        rows = np.array([], dtype=np.int64)
        table = None
    position = np.full(num_rows, -1, dtype=np.int64)
    position[rows] = np.arange(len(rows), dtype=np.int64)
    indices = pa.array(position, mask=position < 0)
    for source, name in names:
        if table is None:
            out.others[name] = pa.nulls(num_rows)
        else:
            out.others[name] = table.column(source).take(indices)


def place(views: Sequence[ViewRequest], values: Sequence[pa.Table], num_rows: int) -> Gathered:
    """Put already-fetched matched values (a column ``r`` = entity row, then one column per
    source column of the view) into entity order."""
    out = Gathered(num_rows=num_rows)
    float_names: list[str] = []
    view_floats: list[set[str]] = []
    for view, table in zip(views, values, strict=True):
        floats = {c for c in view.source_columns if table.schema.field(c).type == pa.float64()}
        view_floats.append(floats)
        for source, name in zip(view.source_columns, view.output_names, strict=True):
            out.names.append(name)
            if source in floats:
                out.float_row[name] = len(float_names)
                float_names.append(name)
    out.floats = np.empty((len(float_names), num_rows), dtype=np.float64)
    for view, table, floats in zip(views, values, view_floats, strict=True):
        rows = table.column("r").to_numpy()
        valid = np.zeros(num_rows, dtype=bool)
        valid[rows] = True
        missing = np.flatnonzero(~valid)
        for source, name in zip(view.source_columns, view.output_names, strict=True):
            out.valid[name] = valid
            if source in floats:
                target = out.float_row[name]
                out.floats[target, rows] = table.column(source).to_numpy()
                out.floats[target, missing] = np.nan
        parts = [(rows, table)] if table.num_rows else []
        _place_others(view, floats, parts, num_rows, out)
    return out
