"""Small offline tables and Feast configurations for the online-store tests.

Offline tables are written directly in the transform job's shape (one Parquet file per
symbol under ``data/offline/<view>/``), with the awkward cases materialization must handle:
NaN in a latest row, a whole column NaN in the latest rows, a symbol that stopped trading,
and a late correction file whose row has the same event time and a later created time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import redis
from feast import FeatureStore

from axiom_features.feature_store import apply_definitions
from transforms.catalogue import catalogue

END = datetime(2026, 6, 30, 20, 0, tzinfo=UTC)
CREATED = datetime(2026, 7, 1, 1, 0, tzinfo=UTC)
SYMBOLS = ["AAA", "BBB", "CCC", "DDD", "EEE", "FFF"]
VIEWS = ("ta_overlap", "ta_volume")
UTC_US = pa.timestamp("us", tz="UTC")


def feature_names(view: str) -> list[str]:
    return [f.name for f in catalogue().views[view].features]


def _table(view: str, symbol: str, stamps: list[datetime], created: datetime, seed: int):
    names = feature_names(view)
    rng = np.random.default_rng([seed, len(symbol), ord(symbol[0]), len(names)])
    data = rng.standard_normal((len(stamps), len(names))) * 100
    data[:, 0] = np.nan  # a column that is NaN everywhere, latest rows included
    if symbol == "BBB":
        data[-1, 1:4] = np.nan
    if symbol == "CCC":
        data[-1, 4] = 0.0
        data[-1, 5] = -0.0
        data[-1, 6] = np.inf
    columns = {
        "symbol": pa.array([symbol] * len(stamps)),
        "event_timestamp": pa.array(stamps, UTC_US),
        "created_timestamp": pa.array([created] * len(stamps), UTC_US),
    }
    columns.update({n: pa.array(data[:, j]) for j, n in enumerate(names)})
    return pa.table(columns)


def write_offline_tables(root: Path, days: int = 40, seed: int = 1) -> dict[str, Path]:
    """Offline tables of :data:`VIEWS` for :data:`SYMBOLS`, ending at :data:`END`."""
    stamps = [END - timedelta(days=days - 1 - i) for i in range(days)]
    folders = {}
    for view in VIEWS:
        folder = root / "data" / "offline" / view
        folder.mkdir(parents=True, exist_ok=True)
        for symbol in SYMBOLS:
            mine = stamps[:-10] if symbol == "EEE" else stamps  # EEE stopped trading
            pq.write_table(_table(view, symbol, mine, CREATED, seed), folder / f"{symbol}.parquet")
        # A late correction of AAA's last bar: same event time, created later.
        fix = _table(view, "AAA", stamps[-1:], CREATED + timedelta(hours=5), seed + 100)
        pq.write_table(fix, folder / "AAA_correction.parquet")
        folders[view] = folder
    return folders


def redis_db_url(url: str, db: int) -> str:
    """``url`` pointing at database ``db`` of the same server."""
    base = url.rsplit("/", 1)[0] if url.count("/") > 2 else url
    return f"{base}/{db}"


def write_yaml(
    root: Path,
    name: str,
    *,
    project: str,
    redis_url: str | None,
    engine: str,
    online_type: str = "axiom_features.online.fast_store.AxiomFastRedisOnlineStore",
    key_ttl_seconds: int | None = None,
    offline_type: str = "file",
) -> Path:
    """A ``feature_store.yaml`` variant in ``root``, with its own registry."""
    if redis_url is None:
        online = f"  type: sqlite\n  path: data/{name}_online.db\n"
    elif online_type == "redis":
        db = int(redis_url.rsplit("/", 1)[1])
        host = redis_url.split("//", 1)[1].rsplit("/", 1)[0]
        online = f"  type: redis\n  connection_string: {host},db={db}\n"
    else:
        online = f"  type: {online_type}\n  url: {redis_url}\n"
    if key_ttl_seconds:
        online += f"  key_ttl_seconds: {key_ttl_seconds}\n"
    path = root / f"{name}.yaml"
    path.write_text(
        f"project: {project}\nprovider: local\nregistry: data/{name}_registry.db\n"
        f"online_store:\n{online}offline_store:\n  type: {offline_type}\n"
        f"batch_engine:\n  type: {engine}\nentity_key_serialization_version: 3\n"
    )
    return path


def open_yaml(root: Path, yaml: Path, apply: bool = True) -> FeatureStore:
    store = FeatureStore(repo_path=str(root), fs_yaml_file=yaml)
    if apply:
        apply_definitions(store)
    return store


def dump(client: redis.Redis, project: str) -> dict[bytes, tuple[dict[bytes, bytes], int]]:
    """Every key of ``project`` with its hash and TTL (-1: none)."""
    out = {}
    for key in client.scan_iter(match=b"*" + project.encode(), count=1000):
        out[key] = (client.hgetall(key), client.ttl(key))
    return out


def all_keys(client: redis.Redis) -> set[bytes]:
    return set(client.scan_iter(count=1000))
