"""Where an incremental materialization starts, and why a view got no rows.

:func:`incremental_windows` gives each view the start ``feast materialize-incremental``
would: the end of its last materialization; a view never materialized starts at the
beginning of its offline table (all of its history is eligible). Views sharing a start are
grouped, so each group is one ``materialize`` call.

:func:`empty_reason` explains a view that wrote no rows from its offline table's time range:
nothing offline, nothing newer than the window start (already materialized), or nothing
up to the window end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from feast import FeatureStore, FileSource
from feast.infra.offline_stores.contrib.postgres_offline_store.postgres_source import (
    PostgreSQLSource,
)

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
"""The start of a view that was never materialized: all of its offline history."""


def incremental_windows(store: FeatureStore, views: list[str]) -> dict[datetime, list[str]]:
    """Start time → the views that start there (since their last materialization)."""
    windows: dict[datetime, list[str]] = {}
    for name in views:
        view = store.get_feature_view(name)
        since = view.most_recent_end_time
        since = EARLIEST if since is None else since.astimezone(UTC)
        windows.setdefault(since, []).append(name)
    return windows


@dataclass(frozen=True)
class OfflineSpan:
    """How many rows a view's offline table holds and the event times they span."""

    rows: int
    first: datetime | None
    last: datetime | None


def offline_span(store: FeatureStore, name: str) -> OfflineSpan | None:
    """The offline table's span, or None when its kind of source is not known here."""
    source = store.get_feature_view(name).batch_source
    field = source.timestamp_field
    if isinstance(source, FileSource):
        import duckdb

        folder = Path(store.repo_path) / source.path
        files = sorted(str(p) for p in folder.rglob("*.parquet")) if folder.is_dir() else []
        if not files:
            return OfflineSpan(0, None, None)
        query = f'SELECT count(*), min("{field}"), max("{field}") FROM read_parquet(?)'
        with duckdb.connect() as con:
            con.execute("SET TimeZone = 'UTC'")
            rows, first, last = con.execute(query, [files]).fetchone()
    elif isinstance(source, PostgreSQLSource):
        from psycopg import sql

        from axiom_features.offline.postgres_store import _connect

        query = sql.SQL("SELECT count(*), min({f}), max({f}) FROM {t}").format(
            f=sql.Identifier(field), t=sql.SQL(source.get_table_query_string())
        )
        with _connect(store.config) as conn:
            rows, first, last = conn.execute(query).fetchone()
    else:
        return None
    return OfflineSpan(int(rows), _utc(first), _utc(last))


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def empty_reason(
    span: OfflineSpan | None, start: datetime, end: datetime, *, incremental: bool
) -> str:
    """Why a window ``[start, end]`` wrote no rows for a view whose table spans ``span``
    (``incremental``: the window started where the last materialization ended)."""
    window = f"no offline rows between {start:%Y-%m-%d %H:%M} and {end:%Y-%m-%d %H:%M} UTC"
    if span is None:
        return window
    if span.rows == 0 or span.last is None:
        return "its offline table has no rows (run `axiom transform` first)"
    if span.last <= start and incremental:
        return (
            f"nothing newer than its last materialization ({start:%Y-%m-%d %H:%M} UTC); "
            f"its newest offline row is from {span.last:%Y-%m-%d %H:%M} UTC"
        )
    if span.first is not None and span.first > end:
        return f"{window}; its offline rows start at {span.first:%Y-%m-%d %H:%M} UTC"
    if span.last < start:
        return f"{window}; its newest offline row is from {span.last:%Y-%m-%d %H:%M} UTC"
    return window
