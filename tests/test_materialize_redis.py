"""The fast engine writes Redis exactly as stock Feast does.

Each scenario materializes the same offline tables with stock Feast (local engine, Feast's
Redis store) into one Redis database and with the platform (fast engine, the platform's
Redis store) into another, then compares every key the two runs created: same keys, same
hash fields, same bytes, same TTL.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import redis

from axiom_features.materialize.fast_engine import ENGINE_TYPE, FastComputeEngine
from tests.conftest import copy_feature_repo
from tests.online_fixtures import (
    END,
    VIEWS,
    all_keys,
    dump,
    feature_names,
    open_yaml,
    write_offline_tables,
    write_yaml,
)
from tests.services import exclusive_databases

pytestmark = pytest.mark.redis

PLATFORM_STORE = "axiom_features.online.fast_store.AxiomFastRedisOnlineStore"


@pytest.fixture
def exclusive_urls(redis_url: str) -> Iterator[tuple[str, str]]:
    """Two databases no other test writes meanwhile: the checks below read every key."""
    with exclusive_databases(redis_url) as urls:
        yield urls


def _pair(
    tmp_path: Path,
    exclusive_urls: tuple[str, str],
    monkeypatch,
    key_ttl_seconds: int | None = None,
    offline_type: str = "file",
):
    project = f"m{uuid.uuid4().hex[:10]}"
    root = copy_feature_repo(tmp_path / "repo", project=project)
    monkeypatch.chdir(root)
    write_offline_tables(root)
    stock_url, fast_url = exclusive_urls
    stock = open_yaml(
        root,
        write_yaml(
            root,
            "stock",
            project=project,
            redis_url=stock_url,
            engine="local",
            online_type="redis",
            key_ttl_seconds=key_ttl_seconds,
        ),
    )
    fast = open_yaml(
        root,
        write_yaml(
            root,
            "fast",
            project=project,
            redis_url=fast_url,
            engine=ENGINE_TYPE,
            online_type=PLATFORM_STORE,
            key_ttl_seconds=key_ttl_seconds,
            offline_type=offline_type,
        ),
    )
    clients = redis.Redis.from_url(stock_url), redis.Redis.from_url(fast_url)
    return project, stock, fast, clients


def _materialize_both(stock, fast, start, end) -> None:
    for store in (stock, fast):
        store.materialize(start_date=start, end_date=end, feature_views=list(VIEWS))


def _assert_same(project: str, clients, before) -> None:
    stock_client, fast_client = clients
    # Nothing outside the project's keys was created by either run.
    for client, keys in zip(clients, before, strict=True):
        new = all_keys(client) - keys
        assert all(k.endswith(project.encode()) for k in new)
    stock_dump, fast_dump = dump(stock_client, project), dump(fast_client, project)
    assert stock_dump, "stock Feast wrote nothing"
    assert stock_dump.keys() == fast_dump.keys()
    for key, (stock_hash, stock_ttl) in stock_dump.items():
        fast_hash, fast_ttl = fast_dump[key]
        assert fast_hash == stock_hash, key
        if stock_ttl < 0:
            assert fast_ttl == stock_ttl
        else:
            assert abs(fast_ttl - stock_ttl) <= 30


@pytest.mark.parametrize(
    "offline_type",
    ["file", "axiom_features.offline.duckdb_store.AxiomDuckDBOfflineStore"],
    ids=["parquet_pulled_by_the_engine", "platform_offline_store_pull"],
)
def test_fast_engine_writes_the_same_keys_and_bytes_as_stock_feast(
    tmp_path: Path,
    exclusive_urls: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
    offline_type: str,
) -> None:
    project, stock, fast, clients = _pair(
        tmp_path, exclusive_urls, monkeypatch, offline_type=offline_type
    )
    before = [all_keys(c) for c in clients]

    # A window that ends before the latest rows, then one that reaches them, then an older
    # window again: the stored newer rows must stay (Feast's timestamp check), in both.
    _materialize_both(stock, fast, END - timedelta(days=20), END - timedelta(days=5))
    _assert_same(project, clients, before)
    _materialize_both(stock, fast, END - timedelta(days=8), END)
    _assert_same(project, clients, before)
    _materialize_both(stock, fast, END - timedelta(days=30), END - timedelta(days=12))
    _assert_same(project, clients, before)

    stock_dump = dump(clients[0], project)
    assert len(stock_dump) == 6  # every symbol has rows in the windows above
    assert isinstance(fast._get_provider().batch_engine, FastComputeEngine)
    # The late correction (same event time, created later) is what both stored for AAA.
    correction = pq.read_table(
        Path(fast.repo_path) / "data/offline/ta_overlap/AAA_correction.parquet"
    )
    name = feature_names("ta_overlap")[1]
    online = fast.get_online_features([f"ta_overlap:{name}"], [{"symbol": "AAA"}]).to_dict()
    assert online[name] == correction.column(name).to_pylist()


def test_fast_engine_honours_the_key_ttl(
    tmp_path: Path, exclusive_urls: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project, stock, fast, clients = _pair(
        tmp_path, exclusive_urls, monkeypatch, key_ttl_seconds=86_400
    )
    before = [all_keys(c) for c in clients]
    _materialize_both(stock, fast, END - timedelta(days=3), END)
    _assert_same(project, clients, before)
    assert all(0 < ttl <= 86_400 for _, ttl in dump(clients[1], project).values())
