"""The latest row per entity key in a time window, read from Parquet: what materialization
writes online.

Like the point-in-time join, it decides on narrow columns in DuckDB (``arg_max`` of the row's
``(event time, created time)`` per key) and then reads only the winning rows' row groups.
Files on a storage that is not local are read through its ``filesystem``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import duckdb
import pyarrow as pa
import pyarrow.fs as pafs

from axiom_features.offline import point_in_time as pit


def latest_rows(
    con: duckdb.DuckDBPyConnection,
    files: Sequence[str],
    join_keys: Sequence[str],
    features: Sequence[str],
    timestamp_field: str,
    created_timestamp_column: str | None,
    start: datetime | None = None,
    end: datetime | None = None,
    *,
    threads: int | None = None,
    filesystem: pafs.FileSystem | None = None,
) -> pa.Table:
    """For each join key, the row with the latest ``timestamp_field`` in ``[start, end]``
    (ties: latest ``created_timestamp_column``): join keys, features, timestamp columns.
    ``files`` are local paths, or paths on ``filesystem``."""
    columns = list(
        dict.fromkeys(
            [
                *join_keys,
                *features,
                timestamp_field,
                *([created_timestamp_column] if created_timestamp_column else []),
            ]
        )
    )
    request = pit.ViewRequest(
        name="latest",
        files=list(files),
        entity_keys=[],
        source_keys=list(join_keys),
        timestamp_field=timestamp_field,
        created_timestamp_column=created_timestamp_column,
        ttl_us=None,
        source_columns=columns,
        output_names=columns,
        filesystem=filesystem,
    )
    if not files:
        matches = pa.table(
            {
                "r": pa.array([], pa.int64()),
                "f": pa.array([], pa.string()),
                "n": pa.array([], pa.int64()),
            }
        )
    else:
        sql, params = _latest_sql(request, start, end)
        matches = pit.query_source(con, request, sql, params)
    gathered = pit.gather([request], [matches], matches.num_rows, threads=threads)
    return pa.table({name: gathered.arrow_column(name) for name in gathered.names})


def _latest_sql(
    request: pit.ViewRequest, start: datetime | None, end: datetime | None
) -> tuple[str, list]:
    ts = pit.ident(request.timestamp_field)
    created = request.created_timestamp_column
    created_key = (
        f"COALESCE({pit.micros_sql(created)}::HUGEINT + {pit.CREATED_OFFSET}, 0)"
        if created
        else "0::HUGEINT"
    )
    scan, params = pit.source_scan(request)
    where = []
    if start is not None:
        where.append(f"{ts} >= ?")
        params.append(start)
    if end is not None:
        where.append(f"{ts} <= ?")
        params.append(end)
    keys = ", ".join(pit.ident(k) for k in request.source_keys)
    sql = f"""
        SELECT (row_number() OVER () - 1)::BIGINT AS r, w.f AS f, w.n AS n
        FROM (
            SELECT arg_max({{'f': filename, 'n': file_row_number}},
                           {pit.micros_sql(request.timestamp_field)}::HUGEINT * {pit.KEY_SHIFT}
                           + {created_key}) AS w
            FROM {scan}
            {"WHERE " + " AND ".join(where) if where else ""}
            GROUP BY {keys}
        )
    """
    return sql, params
