"""Backend pairs for the universal store tests: one repo per pair, the same data in each.

``Parquet + SQLite`` and ``Parquet + Redis`` read the Parquet tables through the DuckDB
offline store; ``PostgreSQL + Redis`` reads the same rows loaded into PostgreSQL (with the
platform's loader) through the PostgreSQL offline store and keeps its registry there. Each
pair also has a ``stock`` store: the same registry and data behind stock Feast's offline store
for that source (``file`` or ``postgres``).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import yaml
from feast import Entity, FeatureService, FeatureStore, FeatureView, Field, FileSource
from feast.infra.offline_stores.contrib.postgres_offline_store.postgres_source import (
    PostgreSQLSource,
)
from feast.types import Float64
from feast.value_type import ValueType

from axiom_features.offline.duckdb_store import STORE_TYPE as DUCKDB_STORE
from axiom_features.offline.postgres_store import STORE_TYPE as POSTGRES_STORE
from axiom_features.offline.postgres_store import connection_url, settings_from_url
from axiom_features.offline.postgres_tables import load_offline_views
from axiom_features.online.redis_store import STORE_TYPE as REDIS_STORE
from tests.services import scratch_database
from tests.universal import data

BACKENDS = (
    pytest.param("parquet-sqlite", id="parquet-sqlite"),
    pytest.param("parquet-redis", id="parquet-redis", marks=pytest.mark.redis),
    pytest.param(
        "postgres-redis", id="postgres-redis", marks=[pytest.mark.postgres, pytest.mark.redis]
    ),
)


@dataclass
class Backend:
    """A repo on one backend pair, its data, and a stock-Feast twin."""

    name: str
    root: Path
    store: FeatureStore
    stock: FeatureStore
    tables: dict


def _definitions(offline: str) -> list:
    symbol = Entity(name="symbol", join_keys=["symbol"], value_type=ValueType.STRING)
    views = []
    for spec in data.VIEWS:
        common = dict(
            name=f"{spec.name}_source",
            timestamp_field="event_timestamp",
            created_timestamp_column="created_timestamp",
        )
        source = (
            PostgreSQLSource(table=spec.name, **common)
            if offline == "postgres"
            else FileSource(path=f"data/offline/{spec.name}", **common)
        )
        views.append(
            FeatureView(
                name=spec.name,
                entities=[symbol],
                ttl=spec.ttl,
                schema=[Field(name=f, dtype=Float64) for f in spec.features],
                source=source,
                online=True,
            )
        )
    service = FeatureService(name="both", features=views)
    return [symbol, *views, service]


def _config(
    name: str,
    project: str,
    root: Path,
    offline: dict,
    redis_url: str | None,
    postgres_url: str | None,
) -> dict:
    online = (
        {"type": "sqlite", "path": str(root / "data" / "online.db")}
        if name.endswith("sqlite")
        else {"type": REDIS_STORE, "url": redis_url}
    )
    registry = (
        {
            "registry_type": "sql",
            "path": postgres_url.replace("postgresql://", "postgresql+psycopg://", 1),
        }
        if name.startswith("postgres")
        else str(root / "data" / "registry.db")
    )
    return {
        "project": project,
        "provider": "local",
        "registry": registry,
        "online_store": online,
        "offline_store": offline,
        "entity_key_serialization_version": 3,
    }


def _store(root: Path, file_name: str, config: dict) -> FeatureStore:
    path = root / file_name
    path.write_text(yaml.safe_dump(config))
    return FeatureStore(repo_path=str(root), fs_yaml_file=path)


@pytest.fixture(scope="module", params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    name = request.param
    redis_url = request.getfixturevalue("redis_url") if "redis" in name else None
    database = None
    postgres_url = None
    if "postgres" in name:  # a database per module: both modules load the same table names
        database = scratch_database(request.getfixturevalue("postgres_url"))
        postgres_url = database.__enter__()
    root = tmp_path_factory.mktemp(name)
    tables = {v.name: data.view_rows(v, seed=i + 11) for i, v in enumerate(data.VIEWS)}
    data.write_offline_tables(root, tables)
    project = f"u{uuid.uuid4().hex[:10]}"
    if postgres_url:
        with psycopg.connect(connection_url(postgres_url)) as conn:
            load_offline_views(conn, root / "data" / "offline", [v.name for v in data.VIEWS])
        settings = settings_from_url(postgres_url)
        offline, stock = (
            {"type": POSTGRES_STORE, "url": postgres_url},
            {"type": "postgres", **settings},
        )
    else:
        offline, stock = {"type": DUCKDB_STORE}, {"type": "file"}
    cwd = os.getcwd()
    os.chdir(root)
    try:
        store = _store(
            root,
            "feature_store.yaml",
            _config(name, project, root, offline, redis_url, postgres_url),
        )
        store.apply(_definitions("postgres" if postgres_url else "file"))
        twin = _store(
            root, "stock.yaml", _config(name, project, root, stock, redis_url, postgres_url)
        )
        yield Backend(name=name, root=root, store=store, stock=twin, tables=tables)
    finally:
        os.chdir(cwd)
        if database is not None:
            database.__exit__(None, None, None)
