"""Offline feature tables in PostgreSQL: creating them, and loading rows with ``COPY``.

A view's table has the offline table's columns (``symbol``, ``event_timestamp``,
``created_timestamp``, features) and an index on ``(symbol, event_timestamp DESC,
created_timestamp DESC)``, which is what point-in-time lookups and latest-row pulls walk.
Loading is idempotent per entity key: a symbol's rows are replaced in one transaction, so a
re-run of the transform job leaves exactly one copy.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from psycopg import sql

from axiom_features.lakes.symbols import symbol_file

COPY_BATCH_ROWS = 50_000


def pg_type(arrow_type: pa.DataType) -> str:
    """The PostgreSQL column type holding an Arrow type."""
    if pa.types.is_float64(arrow_type) or pa.types.is_decimal(arrow_type):
        return "double precision"
    if pa.types.is_float32(arrow_type) or pa.types.is_float16(arrow_type):
        return "real"
    if pa.types.is_int64(arrow_type) or pa.types.is_uint32(arrow_type):
        return "bigint"
    if pa.types.is_integer(arrow_type):
        return "integer"
    if pa.types.is_boolean(arrow_type):
        return "boolean"
    if pa.types.is_timestamp(arrow_type):
        return "timestamptz" if arrow_type.tz else "timestamp"
    if pa.types.is_date(arrow_type):
        return "date"
    if (
        pa.types.is_string(arrow_type)
        or pa.types.is_large_string(arrow_type)
        or (pa.types.is_dictionary(arrow_type))
    ):
        return "text"
    raise TypeError(f"no PostgreSQL column type for Arrow type {arrow_type}")


def arrow_type(pg: str) -> pa.DataType:
    """The Arrow type read back from a PostgreSQL column type (``information_schema`` name)."""
    pg = pg.lower()
    if pg in ("double precision", "numeric"):
        return pa.float64()
    if pg == "real":
        return pa.float32()
    if pg in ("bigint", "integer", "smallint"):
        return pa.int64()
    if pg == "boolean":
        return pa.bool_()
    if pg == "timestamp with time zone":
        return pa.timestamp("us", tz="UTC")
    if pg == "timestamp without time zone":
        return pa.timestamp("us")
    if pg == "date":
        return pa.date32()
    return pa.string()


def _name(table: str) -> sql.Composable:
    """``schema.table`` or ``table`` as a quoted identifier."""
    return sql.Identifier(*table.split(".", 1))


def ensure_table(
    conn: psycopg.Connection,
    table: str,
    schema: pa.Schema,
    *,
    key: str | None = "symbol",
    timestamp_field: str = "event_timestamp",
    created_timestamp_column: str | None = "created_timestamp",
) -> None:
    """Create ``table`` for rows of ``schema`` with its point-in-time index, if missing."""
    columns = sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(f.name), sql.SQL(pg_type(f.type))) for f in schema
    )
    conn.execute(sql.SQL("CREATE TABLE IF NOT EXISTS {} ({})").format(_name(table), columns))
    order = [sql.SQL("{} DESC").format(sql.Identifier(timestamp_field))]
    if created_timestamp_column and created_timestamp_column in schema.names:
        order.append(sql.SQL("{} DESC").format(sql.Identifier(created_timestamp_column)))
    keys = [sql.Identifier(key)] if key and key in schema.names else []
    index = table.split(".")[-1] + "__point_in_time"
    conn.execute(
        sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} ({})").format(
            sql.Identifier(index), _name(table), sql.SQL(", ").join([*keys, *order])
        )
    )


def csv_bytes(rows: pa.Table) -> bytes:
    """Rows as CSV that PostgreSQL's ``COPY … (FORMAT csv, HEADER true)`` reads back exactly
    (shortest round-trip floats, ``nan``/``inf``, empty = NULL, UTC timestamps)."""
    columns = []
    for column in rows.columns:
        if pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        columns.append(column)
    buffer = io.BytesIO()
    pacsv.write_csv(pa.table(columns, names=rows.column_names), buffer)
    return buffer.getvalue()


def copy_rows(conn: psycopg.Connection, table: str, rows: pa.Table) -> int:
    """Append ``rows`` to ``table`` with ``COPY``; returns the number of rows."""
    statement = sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv, HEADER true)").format(
        _name(table), sql.SQL(", ").join(sql.Identifier(c) for c in rows.column_names)
    )
    for batch in rows.to_batches(max_chunksize=COPY_BATCH_ROWS):
        with conn.cursor().copy(statement) as copy:
            copy.write(csv_bytes(pa.Table.from_batches([batch])))
    return rows.num_rows


def replace_key_rows(
    conn: psycopg.Connection, table: str, key: str, parts: Sequence[pa.Table]
) -> int:
    """Replace every row of ``table`` whose ``key`` appears in ``parts`` by the rows of
    ``parts`` (one transaction); returns the rows written."""
    values = sorted({v for part in parts for v in pc.unique(part.column(key)).to_pylist()})
    written = 0
    with conn.transaction():
        conn.execute(
            sql.SQL("DELETE FROM {} WHERE {} = ANY(%s)").format(_name(table), sql.Identifier(key)),
            [values],
        )
        for part in parts:
            written += copy_rows(conn, table, part)
    return written


def files_sharing_keys(files: Sequence[Path], key: str) -> list[list[Path]]:
    """``files`` grouped so that files holding a common ``key`` value share a group (a symbol's
    file and its correction file load together)."""
    owner: dict[object, int] = {}
    parent = list(range(len(files)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, path in enumerate(files):
        for value in pc.unique(pq.read_table(path, columns=[key]).column(key)).to_pylist():
            if value in owner:
                parent[root(i)] = root(owner[value])
            else:
                owner[value] = i
    groups: dict[int, list[Path]] = {}
    for i, path in enumerate(files):
        groups.setdefault(root(i), []).append(path)
    return list(groups.values())


@dataclass
class LoadResult:
    """Rows loaded into each table."""

    rows_per_table: dict[str, int]
    files: int


def load_parquet_files(
    conn: psycopg.Connection,
    table: str,
    files: Iterable[Path],
    *,
    key: str = "symbol",
    timestamp_field: str = "event_timestamp",
    created_timestamp_column: str | None = "created_timestamp",
) -> tuple[int, int]:
    """Load Parquet files into ``table`` (created if missing): the rows of each key value are
    replaced by those in the files, in one transaction per group of files sharing keys;
    returns (rows, files)."""
    rows = files_done = 0
    created = False
    for group in files_sharing_keys(list(files), key):
        parts = [pq.read_table(path) for path in group]
        if not created:
            ensure_table(
                conn,
                table,
                parts[0].schema,
                key=key,
                timestamp_field=timestamp_field,
                created_timestamp_column=created_timestamp_column,
            )
            conn.commit()
            created = True
        rows += replace_key_rows(conn, table, key, parts)
        files_done += len(group)
    if created:
        conn.execute(sql.SQL("ANALYZE {}").format(_name(table)))
        conn.commit()
    return rows, files_done


def load_offline_views(
    conn: psycopg.Connection,
    offline_root: Path,
    views: Sequence[str],
    symbols: Sequence[str] | None = None,
) -> LoadResult:
    """Load ``offline_root/<view>/<SYMBOL>.parquet`` into one table per view (named as the
    view), for ``symbols`` (default: every file)."""
    per_table: dict[str, int] = {}
    files = 0
    for view in views:
        folder = offline_root / view
        paths = (
            sorted(folder.glob("*.parquet"))
            if symbols is None
            else [f for f in (symbol_file(folder, s) for s in symbols) if f.exists()]
        )
        per_table[view], done = load_parquet_files(conn, view, paths)
        files += done
    return LoadResult(rows_per_table=per_table, files=files)


def _data_files(folder: Path) -> list[str]:
    from axiom_features.offline.point_in_time import parquet_files

    return parquet_files(folder)


def _file_keys(path: Path, key: str) -> set:
    return set(pc.unique(pq.read_table(path, columns=[key]).column(key)).to_pylist())


def table_columns(conn: psycopg.Connection, table: str) -> dict[str, str]:
    """Column name → ``information_schema`` type of ``table`` (searched on the search path
    when unqualified)."""
    if "." in table:
        schema, name = table.split(".", 1)
        query = (
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position"
        )
        params = [schema, name]
    else:
        query = (
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = %s AND table_schema = ANY(current_schemas(false)) "
            "ORDER BY ordinal_position"
        )
        params = [table]
    return dict(conn.execute(query, params).fetchall())
