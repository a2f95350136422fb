"""The latest row per entity of a Parquet offline table within a time range, with DuckDB.

What a materialization writes online: for each entity, the row with the greatest event
timestamp in ``[start, end]`` (both inclusive, as Feast's file store), ties broken by the
greatest created timestamp. Two passes keep memory bounded by the number of entities rather
than the number of rows: the first reads only the key and timestamp columns and picks each
entity's winning (file, row); the second reads the feature columns of those rows only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
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


OLDEST = datetime(1, 1, 1, tzinfo=UTC)
"""Stands in for a missing created timestamp: such a row loses every tie."""


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
    read as UTC. Rows equal in event and created time are told apart by file name and row
    number (the last one wins), so the result does not depend on scan order.
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
        ts = f"CAST({_quote(timestamp_field)} AS TIMESTAMPTZ)"
        created = (
            f"COALESCE(CAST({_quote(created_timestamp_column)} AS TIMESTAMPTZ), $oldest)"
            if created_timestamp_column
            else "$oldest"
        )
        keys = ", ".join(_quote(k) for k in join_keys)
        winners = con.execute(
            f"""
            SELECT w.f, w.n FROM (
                SELECT arg_max({{'f': filename, 'n': file_row_number}},
                               {{'t': {ts}, 'c': {created}, 'f': filename, 'n': file_row_number}})
                       AS w
                FROM read_parquet($files, filename = true, file_row_number = true)
                WHERE {ts} BETWEEN $start AND $end
                GROUP BY {keys}
            )
            """,
            {"files": files, "start": start, "end": end, "oldest": OLDEST},
        ).fetchall()
        select = ", ".join(
            f"CAST({_quote(c)} AS TIMESTAMPTZ) AS {_quote(c)}" if c in ts_columns else _quote(c)
            for c in columns
        )
        if not winners:
            return con.sql(
                f"SELECT {select} FROM read_parquet($files) LIMIT 0",
                params={"files": files[:1]},
            ).to_arrow_table()
        query, params = _rows_query(select, winners)
        if "winners" in query:
            files_won, rows_won = zip(*winners, strict=True)
            con.register(
                "winners",
                pa.table({"f": pa.array(files_won), "n": pa.array(rows_won, pa.int64())}),
            )
        return con.sql(query, params=params).to_arrow_table()
    finally:
        con.close()


MAX_ROW_GROUPS = 256
"""Winning rows are read grouped by their row number within the file (one scan each, the
row number pushed down); past this many distinct row numbers, one scan with a join."""


def _rows_query(select: str, winners: list[tuple[str, int]]) -> tuple[str, dict]:
    by_row: dict[int, list[str]] = {}
    for filename, row in winners:
        by_row.setdefault(int(row), []).append(filename)
    if len(by_row) <= MAX_ROW_GROUPS:
        parts, params = [], {}
        for i, (row, names) in enumerate(sorted(by_row.items())):
            params[f"files{i}"] = sorted(names)
            parts.append(
                f"SELECT {select} FROM read_parquet($files{i}, file_row_number = true) "
                f"WHERE file_row_number = {row}"
            )
        return " UNION ALL ".join(parts), params
    names = sorted({filename for filename, _ in winners})
    lo, hi = min(by_row), max(by_row)
    return (
        f"SELECT {select} FROM read_parquet($files, filename = true, file_row_number = true) "
        f"AS p WHERE p.file_row_number BETWEEN {lo} AND {hi} "
        "AND (p.filename, p.file_row_number) IN (SELECT f, n FROM winners)",
        {"files": names},
    )
