"""Feast's PostgreSQL offline store configured from a URL, with a fast point-in-time join and
pushes into the offline tables.

``feature_store.yaml``::

    offline_store:
      type: axiom_features.offline.postgres_store.AxiomPostgreSQLOfflineStore
      url: ${AXIOM_POSTGRES_URL}      # postgresql://user[:password]@host:port/db[?sslmode=…]

Retrieval uploads only the entity rows' join keys and times (``COPY``) into a temporary table,
then asks for each view one ``LATERAL`` lookup per entity row — ``ORDER BY event_timestamp
DESC, created_timestamp DESC LIMIT 1`` within the TTL, which the tables' point-in-time index
answers with one index probe — and streams the answer back with ``COPY … TO STDOUT`` (CSV,
parsed by Arrow). Feature values go straight into entity order
(:func:`axiom_features.offline.point_in_time.place`); entity columns never leave the client.
``offline_write_batch`` appends with ``COPY``; latest-row and full pulls (materialization) run
stock Feast's queries but stream their rows with ``COPY`` into Arrow. Everything else is stock
Feast.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from typing import Any, Literal
from urllib.parse import parse_qs, unquote, urlparse

import pandas as pd
import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv
from feast.feature_view import FeatureView
from feast.infra.offline_stores.contrib.postgres_offline_store.postgres import (
    PostgreSQLOfflineStore,
    PostgreSQLOfflineStoreConfig,
    PostgreSQLRetrievalJob,
)
from feast.infra.offline_stores.contrib.postgres_offline_store.postgres_source import (
    PostgreSQLSource,
)
from feast.infra.offline_stores.offline_store import RetrievalJob
from feast.infra.registry.base_registry import BaseRegistry
from feast.infra.utils.postgres.connection_utils import _get_conn
from feast.repo_config import RepoConfig
from feast.type_map import pg_type_code_to_arrow
from psycopg import sql
from pydantic import StrictStr, model_validator

from axiom_features.offline import point_in_time as pit
from axiom_features.offline import postgres_tables as tables
from axiom_features.offline.duckdb_store import (
    AxiomRetrievalJob,
    entity_timestamp_column,
    view_requests,
)
from axiom_features.offline.joined import JoinedFrame, normalized_entity

STORE_TYPE = "axiom_features.offline.postgres_store.AxiomPostgreSQLOfflineStore"


def settings_from_url(url: str) -> dict[str, Any]:
    """Feast's PostgreSQL settings (host, port, database, user, password, sslmode, db_schema)
    from ``postgresql://user[:password]@host[:port]/database[?sslmode=…&schema=…]``."""
    parsed = urlparse(url)
    if parsed.scheme not in ("postgresql", "postgres") or not parsed.hostname:
        raise ValueError(
            f"offline_store.url: expected postgresql://user@host:port/database, got {url!r} "
            "(is AXIOM_POSTGRES_URL set?)"
        )
    database = parsed.path.lstrip("/")
    if not database:
        raise ValueError(f"offline_store.url: {url!r} names no database")
    query = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
    return {
        "host": parsed.hostname,
        "port": parsed.port or 5432,
        "database": unquote(database),
        "user": unquote(parsed.username or "postgres"),
        "password": unquote(parsed.password or ""),
        "sslmode": query.get("sslmode", "prefer"),
        "db_schema": query.get("schema", "public"),
    }


def connection_url(url: str) -> str:
    """A libpq URL for ``url`` without the keys libpq does not know (``schema``)."""
    parsed = urlparse(url)
    query = "&".join(f"{k}={v[-1]}" for k, v in parse_qs(parsed.query).items() if k != "schema")
    return parsed._replace(query=query).geturl()


class AxiomPostgreSQLOfflineStoreConfig(PostgreSQLOfflineStoreConfig):
    """PostgreSQL offline store settings; the connection comes from ``url``."""

    type: Literal[STORE_TYPE] = STORE_TYPE  # type: ignore[assignment]
    """Offline store type selector."""

    url: str | None = None
    """``postgresql://user[:password]@host:port/database[?sslmode=…&schema=…]``; usually
    ``${AXIOM_POSTGRES_URL}``. Fills host, port, database, user, password, sslmode and
    db_schema."""

    password: StrictStr = ""
    """Password (empty for trust or peer authentication)."""

    sslmode: StrictStr | None = "prefer"
    """libpq ``sslmode``; ``prefer`` uses TLS when the server offers it."""

    @model_validator(mode="before")
    @classmethod
    def _settings_from_url(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("url"):
            return {**settings_from_url(data["url"]), **data}
        return data


def _connect(config: RepoConfig) -> psycopg.Connection:
    conn = _get_conn(config.offline_store)
    conn.execute("SET TimeZone = 'UTC'")
    return conn


def _copy_out(
    conn: psycopg.Connection, query: sql.Composable, types: dict[str, pa.DataType], spill_dir: str
) -> pa.Table:
    """Stream ``query``'s rows as CSV into a temporary file and parse it with Arrow."""
    statement = sql.SQL("COPY ({}) TO STDOUT WITH (FORMAT csv, HEADER true)").format(query)
    with tempfile.TemporaryFile(dir=spill_dir) as spill:
        with conn.cursor().copy(statement) as copy:
            for chunk in copy:
                spill.write(chunk)
        spill.seek(0)
        return pacsv.read_csv(
            spill,
            convert_options=pacsv.ConvertOptions(
                column_types=types,
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
            ),
        )


def _lateral_query(
    request: pit.ViewRequest, entity_columns: list[str], table: str, known_by_entity_time: bool
) -> sql.Composable:
    """For each uploaded entity row, the view's one row that answers it (if any)."""
    ident = sql.Identifier
    conditions = [
        sql.SQL("s.{} = e.{}").format(ident(src), ident(column))
        for src, column in zip(request.source_keys, entity_columns, strict=True)
    ]
    conditions.append(sql.SQL("s.{} <= e.t").format(ident(request.timestamp_field)))
    if request.ttl_us:
        conditions.append(
            sql.SQL("s.{} >= e.t - {} * interval '1 microsecond'").format(
                ident(request.timestamp_field), sql.Literal(request.ttl_us)
            )
        )
    order = [sql.SQL("s.{} DESC").format(ident(request.timestamp_field))]
    created = request.created_timestamp_column
    if created:
        order.append(sql.SQL("s.{} DESC NULLS LAST").format(ident(created)))
        if known_by_entity_time:
            conditions.append(sql.SQL("(s.{0} IS NULL OR s.{0} <= e.t)").format(ident(created)))
    columns = list(dict.fromkeys(request.source_columns))
    source = (
        sql.SQL(table) if table.lstrip().startswith("(") else sql.Identifier(*table.split(".", 1))
    )
    return sql.SQL(
        "SELECT e.r, f.* FROM axiom_entity e CROSS JOIN LATERAL ("
        "SELECT {columns} FROM {source} s WHERE {conditions} ORDER BY {order} LIMIT 1) f"
    ).format(
        columns=sql.SQL(", ").join(sql.SQL("s.{}").format(ident(c)) for c in columns),
        source=source,
        conditions=sql.SQL(" AND ").join(conditions),
        order=sql.SQL(", ").join(order),
    )


def _upload_entity(conn: psycopg.Connection, rows: pit.EntityRows, keys: list[str]) -> None:
    table = rows.table
    columns = [
        sql.SQL("{} {}").format(
            sql.Identifier(f"k{i}"), sql.SQL(tables.pg_type(table.schema.field(k).type))
        )
        for i, k in enumerate(keys)
    ]
    conn.execute(
        sql.SQL("CREATE TEMP TABLE axiom_entity ({}{} t timestamptz, r bigint)").format(
            sql.SQL(", ").join(columns), sql.SQL(",") if columns else sql.SQL("")
        )
    )
    upload = pa.table(
        [
            *[table.column(k) for k in keys],
            table.column(pit.EVENT_US).cast(pa.timestamp("us", tz="UTC")),
            table.column(pit.ROW),
        ],
        names=[*[f"k{i}" for i in range(len(keys))], "t", "r"],
    )
    tables.copy_rows(conn, "axiom_entity", upload)
    conn.execute("ANALYZE axiom_entity")


def point_in_time_frame(
    config: RepoConfig,
    entity_df: pd.DataFrame,
    timestamp_column: str,
    requests: list[pit.ViewRequest],
    sources: list[str],
    known_by_entity_time: bool = False,
) -> JoinedFrame:
    """The point-in-time join of ``entity_df`` with each request's table in PostgreSQL."""
    entity = normalized_entity(entity_df, timestamp_column)
    keys = list(dict.fromkeys(k for r in requests for k in r.entity_keys))
    rows = pit.entity_rows(entity, timestamp_column, keys)
    values = []
    with tempfile.TemporaryDirectory(prefix="axiom-pg-") as spill, _connect(config) as conn:
        _upload_entity(conn, rows, keys)
        for request, table in zip(requests, sources, strict=True):
            uploaded = [f"k{keys.index(k)}" for k in request.entity_keys]
            query = _lateral_query(request, uploaded, table, known_by_entity_time)
            types = {"r": pa.int64()}
            if not table.lstrip().startswith("("):
                found = tables.table_columns(conn, table)
                types |= {
                    c: tables.arrow_type(found[c]) for c in request.source_columns if c in found
                }
            values.append(_copy_out(conn, query, types, spill))
        conn.rollback()
    return JoinedFrame(entity, pit.place(requests, values, rows.num_rows))


def query_to_arrow(conn: psycopg.Connection, query: str) -> pa.Table:
    """All rows of ``query`` as Arrow, streamed with ``COPY … TO STDOUT`` (no Python object
    per value); column types from the query's own description."""
    described = conn.execute(f"SELECT * FROM ({query}) AS axiom_q LIMIT 0").description or []
    types = {
        c.name: _ARROW_BY_TYPE_CODE.get(c.type_code) or pg_type_code_to_arrow(c.type_code)
        for c in described
    }
    with tempfile.TemporaryDirectory(prefix="axiom-pg-") as spill:
        return _copy_out(conn, sql.SQL(query), types, spill)


_ARROW_BY_TYPE_CODE = {1184: pa.timestamp("us", tz="UTC"), 1114: pa.timestamp("us")}


class CopyRetrievalJob(PostgreSQLRetrievalJob):
    """Stock Feast's PostgreSQL retrieval job, executed through ``COPY`` into Arrow."""

    def _to_arrow_internal(self, timeout: int | None = None) -> pa.Table:
        with self._query_generator() as query, _connect(self.config) as conn:
            return query_to_arrow(conn, query)


class AxiomPostgreSQLOfflineStore(PostgreSQLOfflineStore):
    """Stock Feast PostgreSQL offline store with a fast point-in-time join and pushes."""

    supports_filter_by_created_timestamp = True

    @staticmethod
    def get_historical_features(
        config: RepoConfig,
        feature_views: list[FeatureView],
        feature_refs: list[str],
        entity_df: pd.DataFrame | str | None,
        registry: BaseRegistry,
        project: str,
        full_feature_names: bool = False,
        filter_by_created_timestamp: bool = False,
        **kwargs: Any,
    ) -> RetrievalJob:
        for view in feature_views:
            if not isinstance(view.batch_source, PostgreSQLSource):
                raise TypeError(
                    f"feature view {view.name!r} reads a {type(view.batch_source).__name__}; "
                    "the PostgreSQL offline store needs PostgreSQLSource (apply the definitions "
                    "with AXIOM_OFFLINE=postgres)"
                )
        if not isinstance(entity_df, pd.DataFrame):
            return PostgreSQLOfflineStore.get_historical_features(
                config,
                feature_views,
                feature_refs,
                entity_df,
                registry,
                project,
                full_feature_names,
                filter_by_created_timestamp=filter_by_created_timestamp,
                **kwargs,
            )
        timestamp_column = entity_timestamp_column(entity_df)
        requests = view_requests(
            config, feature_views, feature_refs, registry, full_feature_names, lambda view: []
        )
        by_name = {v.name: v for v in feature_views}
        sources = [by_name[r.name].batch_source.get_table_query_string() for r in requests]
        missing = {k for r in requests for k in r.entity_keys} - set(entity_df.columns)
        if missing:
            raise ValueError(f"entity_df lacks join key column(s): {', '.join(sorted(missing))}")

        def compute() -> JoinedFrame:
            return point_in_time_frame(
                config,
                entity_df,
                timestamp_column,
                requests,
                sources,
                known_by_entity_time=filter_by_created_timestamp,
            )

        return AxiomRetrievalJob.for_request(
            compute,
            entity_df=entity_df,
            timestamp_column=timestamp_column,
            feature_refs=feature_refs,
            project=project,
            registry=registry,
            full_feature_names=full_feature_names,
            repo_path=str(config.repo_path),
        )

    @staticmethod
    def pull_latest_from_table_or_query(*args: Any, **kwargs: Any) -> RetrievalJob:
        job = PostgreSQLOfflineStore.pull_latest_from_table_or_query(*args, **kwargs)
        return CopyRetrievalJob(job.to_sql(), job.config, full_feature_names=False)

    @staticmethod
    def pull_all_from_table_or_query(*args: Any, **kwargs: Any) -> RetrievalJob:
        job = PostgreSQLOfflineStore.pull_all_from_table_or_query(*args, **kwargs)
        return CopyRetrievalJob(job.to_sql(), job.config, full_feature_names=False)

    @staticmethod
    def offline_write_batch(
        config: RepoConfig,
        feature_view: FeatureView,
        table: pa.Table,
        progress: Callable[[int], Any] | None,
    ) -> None:
        source = feature_view.batch_source
        if not isinstance(source, PostgreSQLSource) or not source._postgres_options._table:
            raise TypeError(
                f"feature view {feature_view.name!r}: pushing rows needs a PostgreSQLSource "
                "with a table"
            )
        name = source._postgres_options._table
        keys = [e.name for e in feature_view.entity_columns]
        with _connect(config) as conn:
            tables.ensure_table(
                conn,
                name,
                table.schema,
                key=keys[0] if len(keys) == 1 else None,
                timestamp_field=source.timestamp_field,
                created_timestamp_column=source.created_timestamp_column or None,
            )
            tables.copy_rows(conn, name, table)
            conn.commit()
        if progress:
            progress(table.num_rows)


def is_postgres_offline(store) -> bool:  # noqa: ANN001 - feast.FeatureStore
    """Whether ``store``'s offline store is PostgreSQL (this plugin or stock Feast's)."""
    return isinstance(store.config.offline_store, PostgreSQLOfflineStoreConfig)


def load_profile_tables(
    store,  # noqa: ANN001 - feast.FeatureStore
    offline_root,  # noqa: ANN001 - pathlib.Path
    *,
    views: list[str] | None = None,
    symbols: list[str] | None = None,
) -> tables.LoadResult:
    """Load ``offline_root/<view>/*.parquet`` into ``store``'s PostgreSQL offline store
    (``views`` default: every folder there)."""
    if not is_postgres_offline(store):
        raise ValueError(
            f"the offline store of {store.config.project!r} is "
            f"{type(store.config.offline_store).__name__}, not PostgreSQL"
        )
    if views is None:
        views = (
            sorted(p.name for p in offline_root.iterdir() if p.is_dir())
            if (offline_root.is_dir())
            else []
        )
    with _connect_store(store.config.offline_store) as conn:
        return tables.load_offline_views(conn, offline_root, views, symbols)


def _connect_store(offline_config: PostgreSQLOfflineStoreConfig) -> psycopg.Connection:
    conn = _get_conn(offline_config)
    conn.execute("SET TimeZone = 'UTC'")
    return conn
