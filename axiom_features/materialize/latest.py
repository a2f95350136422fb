"""The latest row per entity of a Parquet offline table within a time range, with DuckDB.

What a materialization writes online: for each entity, the row with the greatest event
timestamp in ``[start, end]`` (both inclusive, as Feast's file store), ties broken by the
greatest created timestamp. Two passes keep memory bounded by the number of entities rather
than the number of rows: the first reads only the key and timestamp columns and picks each
entity's winning (file, row); the second reads the feature columns of those rows only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def parquet_files(path: Path) -> list[str]:
    """The Parquet files of an offline table: the file itself, or every file under a folder."""
    if path.is_file():
        return [str(path)]
    files = sorted(path.glob("*.parquet")) or sorted(path.rglob("*.parquet"))
    return [str(f) for f in files]


def _list_literal(files: Sequence[str]) -> str:
    return "[" + ", ".join("'" + f.replace("'", "''") + "'" for f in files) + "]"


def pull_latest(
    path: Path,
    *,
    join_keys: Sequence[str],
    feature_columns: Sequence[str],
    timestamp_field: str,
    created_timestamp_column: str | None,
    start: datetime,
    end: datetime,
    threads: int | None = None,
) -> pa.Table:
    """One row per entity: join keys, features, event (and created) timestamp, as Arrow.

    Timestamps come back as ``timestamp[us, tz=UTC]``; naive timestamps in the files are
    read as UTC.
    """
    files = parquet_files(path)
    ts_columns = [timestamp_field]
    if created_timestamp_column:
        ts_columns.append(created_timestamp_column)
    columns = [*join_keys, *feature_columns, *ts_columns]
    if not files:
        return pa.table({c: pa.array([], pa.null()) for c in columns})
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        source = f"read_parquet({_list_literal(files)}, filename = true, file_row_number = true)"
        ts = f"CAST({_quote(timestamp_field)} AS TIMESTAMPTZ)"
        order = [f"{ts} DESC"]
        if created_timestamp_column:
            order.append(f"CAST({_quote(created_timestamp_column)} AS TIMESTAMPTZ) DESC")
        order += ["filename DESC", "file_row_number DESC"]
        partition = ", ".join(_quote(k) for k in join_keys) or "NULL"
        con.execute(
            f"""
            CREATE TEMP TABLE winners AS
            SELECT filename, file_row_number FROM {source}
            WHERE {ts} BETWEEN $start AND $end
            QUALIFY row_number() OVER (PARTITION BY {partition} ORDER BY {", ".join(order)}) = 1
            """,
            {"start": start, "end": end},
        )
        winners = con.sql("SELECT filename, file_row_number FROM winners").fetchall()
        if not winners:
            return _empty(con, files, columns, ts_columns)
        select = ", ".join(
            f"CAST({_quote(c)} AS TIMESTAMPTZ) AS {_quote(c)}" if c in ts_columns else _quote(c)
            for c in columns
        )
        return con.sql(_rows_query(select, winners)).to_arrow_table()
    finally:
        con.close()


MAX_ROW_GROUPS = 256
"""Winning rows are read grouped by their row number within the file (one scan each, the
row number pushed down); past this many distinct row numbers, one scan with a join."""


def _rows_query(select: str, winners: list[tuple[str, int]]) -> str:
    by_row: dict[int, list[str]] = {}
    for filename, row in winners:
        by_row.setdefault(int(row), []).append(filename)
    if len(by_row) <= MAX_ROW_GROUPS:
        return " UNION ALL ".join(
            f"SELECT {select} FROM read_parquet({_list_literal(sorted(names))}, "
            f"file_row_number = true) WHERE file_row_number = {row}"
            for row, names in sorted(by_row.items())
        )
    names = sorted({filename for filename, _ in winners})
    lo, hi = min(by_row), max(by_row)
    return (
        f"SELECT {select} FROM read_parquet({_list_literal(names)}, filename = true, "
        f"file_row_number = true) AS p WHERE p.file_row_number BETWEEN {lo} AND {hi} "
        "AND (p.filename, p.file_row_number) IN (SELECT filename, file_row_number FROM winners)"
    )


def _empty(
    con: duckdb.DuckDBPyConnection, files: list[str], columns: list[str], ts_columns: list[str]
) -> pa.Table:
    select = ", ".join(
        f"CAST({_quote(c)} AS TIMESTAMPTZ) AS {_quote(c)}" if c in ts_columns else _quote(c)
        for c in columns
    )
    return con.sql(
        f"SELECT {select} FROM read_parquet({_list_literal(files[:1])}) LIMIT 0"
    ).to_arrow_table()
