"""Scale-out on Ray, on a real two-node cluster of this machine (one CPU per node).

The transform job's symbol batches run as Ray tasks on both nodes and write exactly what a
local run writes; a node killed mid-job costs only its batches, which run again elsewhere;
small jobs stay local. A training set joined per symbol partition on the workers equals the
local join, and online writes from Ray tasks store the local writer's bytes. Nothing of the
cluster outlives the module.
"""

from __future__ import annotations

import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
import pyarrow as pa
import pytest
import ray
from feast import Entity, FeatureStore, FeatureView, Field, FileSource
from feast.types import Float64
from feast.value_type import ValueType
from ray.cluster_utils import Cluster
from ray.util.state import list_tasks

from axiom_features.materialize.ray_writes import entity_parts, write_rows_on_ray
from axiom_features.offline import partitioned
from axiom_features.offline import point_in_time as pit
from axiom_features.offline.joined import joined_frame
from axiom_features.offline.partitioned import ray_joined_frame
from axiom_features.online.redis_store import AxiomRedisOnlineStore, AxiomRedisOnlineStoreConfig
from axiom_features.online.writer import ViewLayout, write_rows
from axiom_features.paths import RepoPaths
from axiom_features.pipeline.transform_job import run_transform_job
from axiom_features.scaleout.settings import ComputeSettings, compute_settings
from bench.scaleout import offline_hash
from tests.test_transform_job import write_bars
from tests.test_transforms import synthetic_bars
from transforms.catalogue import catalogue

SYMBOLS = [f"S{i:02d}" for i in range(12)]
VIEWS = ["ta_momentum", "ta_volatility", "microstructure", "regime"]
"""TA-Lib views (one matrix) and pandas families (the other path of a symbol's transform)."""
CREATED = datetime(2025, 1, 2, 21, 0, tzinfo=UTC)
"""Every run here stamps its rows with this time, so their tables can be equal byte for byte."""
REDIS_STORE = "axiom_features.online.redis_store.AxiomRedisOnlineStore"
DUCKDB_STORE = "axiom_features.offline.duckdb_store.AxiomDuckDBOfflineStore"
FAST_ENGINE = "axiom_features.materialize.fast_engine.FastComputeEngine"
NODE_STORE = 80 * 2**20
"""Object-store bytes per node: the tasks return row counts only."""


def _cluster_pids(cluster: Cluster) -> set[int]:
    """Every process of the cluster: each node's processes and all their descendants."""
    pids: set[int] = set()
    for node in [cluster.head_node, *cluster.worker_nodes]:
        for infos in node.all_processes.values():
            for info in infos:
                pids.add(info.process.pid)
    for pid in list(pids):
        try:
            pids.update(child.pid for child in psutil.Process(pid).children(recursive=True))
        except psutil.NoSuchProcess:
            pass
    return pids


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                alive.add(pid)
        except psutil.NoSuchProcess:
            pass
    return alive


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    """A head node and a worker node, one CPU each, with a small object store; after the
    module, no process of it may be left."""
    cluster = Cluster(
        initialize_head=True,
        head_node_args={"num_cpus": 1, "object_store_memory": NODE_STORE},
    )
    cluster.add_node(num_cpus=1, object_store_memory=NODE_STORE)
    cluster.wait_for_nodes()
    ray.init(address=cluster.address, log_to_driver=False)
    pids: set[int] = set()
    try:
        yield cluster
    finally:
        pids = _cluster_pids(cluster)
        ray.shutdown()
        cluster.shutdown()
    assert len(pids) >= 4, pids  # two raylets, the GCS, workers: the check below has teeth
    deadline = time.monotonic() + 20
    while _alive(pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(pids), f"Ray processes left behind: {sorted(_alive(pids))}"


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> RepoPaths:
    repo = RepoPaths(tmp_path_factory.mktemp("lake") / "repo")
    for seed, symbol in enumerate(SYMBOLS):
        write_bars(repo, symbol, synthetic_bars(seed))
    return repo


@pytest.fixture(scope="module")
def local_run(lake: RepoPaths, tmp_path_factory: pytest.TempPathFactory) -> RepoPaths:
    """A local run's offline tables."""
    repo = _copy_lake(lake, tmp_path_factory.mktemp("local"))
    result = run_transform_job(repo, views=VIEWS, created=CREATED, compute=ComputeSettings())
    assert result.engine == "local"
    return repo


@pytest.fixture(scope="module")
def local_hash(local_run: RepoPaths) -> str:
    return offline_hash(local_run)


def _copy_lake(lake: RepoPaths, dest: Path) -> RepoPaths:
    repo = RepoPaths(dest / "repo")
    shutil.copytree(lake.bars, repo.bars)
    return repo


def _ray_settings(cluster: Cluster, **overrides: int) -> ComputeSettings:
    values = {"min_symbols": 4, "batch_size": 2, **overrides}
    return ComputeSettings(engine="ray", address=cluster.address, **values)


def busy_worker_processes(node) -> int:  # noqa: ANN001 - ray's Node
    """Worker processes of ``node`` running a batch now (Ray titles them after the task)."""
    (raylet,) = node.all_processes["raylet"]
    busy = 0
    for child in psutil.Process(raylet.process.pid).children(recursive=True):
        try:
            busy += any("ray::_on_node" in part for part in child.cmdline())
        except psutil.NoSuchProcess:
            pass
    return busy


def kill_when_busy(cluster: Cluster, node, killed: list[int], stop: threading.Event) -> None:  # noqa: ANN001
    """Remove ``node`` (SIGKILL) as soon as it runs a batch, once a batch has finished."""
    while not stop.is_set():
        busy = busy_worker_processes(node) if killed == [0] else 0
        if busy:
            cluster.remove_node(node, allow_graceful=False)
            killed[:] = [busy]
            return
        time.sleep(0.02)


def _node_ids() -> set[str]:
    return {node["NodeID"] for node in ray.nodes() if node["Alive"]}


def test_batches_run_on_both_nodes_and_write_what_a_local_run_writes(
    cluster, lake, local_hash, tmp_path
):
    repo = _copy_lake(lake, tmp_path)
    result = run_transform_job(repo, views=VIEWS, created=CREATED, compute=_ray_settings(cluster))
    assert result.engine == "ray"
    assert set(result.batches_per_node) == _node_ids() and len(_node_ids()) == 2
    assert sum(result.batches_per_node.values()) == len(SYMBOLS) // 2
    assert result.rows_per_view == {v: 400 * len(SYMBOLS) for v in VIEWS}
    assert offline_hash(repo) == local_hash


def test_a_job_too_small_to_gain_runs_locally(cluster, lake, tmp_path):
    repo = _copy_lake(lake, tmp_path)
    result = run_transform_job(
        repo, symbols=SYMBOLS[:3], views=["ta_momentum"], compute=_ray_settings(cluster)
    )
    assert result.engine == "local" and result.batches_per_node == {}
    assert result.rows_per_view == {"ta_momentum": 3 * 400}


def test_settings_come_from_feature_store_yaml_and_the_environment_wins(tmp_path):
    config = tmp_path / "feature_store.yaml"
    config.write_text(
        "project: p\ncompute:\n  engine: ray\n  num_cpus: 1\n  object_store_mb: 256\n"
        "  address: ${SCALEOUT_TEST_HEAD}\n"
    )
    settings = compute_settings(config, {"AXIOM_RAY_MIN_SYMBOLS": "10"})
    assert (settings.engine, settings.num_cpus, settings.object_store_mb) == ("ray", 1, 256)
    assert settings.address is None  # an unset variable leaves the address out
    assert settings.min_symbols == 10
    assert settings.uses_ray(10) and not settings.uses_ray(9)
    assert compute_settings(config, {"AXIOM_COMPUTE": "local"}).engine == "local"
    assert compute_settings(tmp_path / "absent.yaml", {}).engine == "local"
    with pytest.raises(ValueError, match="AXIOM_COMPUTE='spark'"):
        compute_settings(config, {"AXIOM_COMPUTE": "spark"})
    config.write_text("compute:\n  engine: ray\n  cpus: 2\n")
    with pytest.raises(ValueError, match="unknown compute setting.*cpus"):
        compute_settings(config, {})


def _requests(repo: RepoPaths, ttl_days: int | None) -> list[pit.ViewRequest]:
    requests = []
    for name in ("ta_momentum", "regime"):
        features = catalogue().view(name).feature_names
        requests.append(
            pit.ViewRequest(
                name=name,
                files=pit.parquet_files(repo.offline_view(name)),
                entity_keys=["symbol"],
                source_keys=["symbol"],
                timestamp_field="event_timestamp",
                created_timestamp_column="created_timestamp",
                ttl_us=ttl_days * 86_400_000_000 if ttl_days else None,
                source_columns=features,
                output_names=[f"{name}__{f}" for f in features],
            )
        )
    return requests


@pytest.mark.parametrize("shared", [True, False], ids=["shared_answer", "object_store"])
def test_a_training_set_joined_by_symbol_partitions_on_the_cluster_equals_the_local_join(
    cluster, local_run, shared, monkeypatch
):
    """Both ways back: written into one shared answer (every node on this host), and
    blocks through the object store placed by the driver (nodes on other hosts)."""
    assert partitioned.nodes_share_host()  # the test cluster's nodes run here
    if not shared:
        monkeypatch.setattr(partitioned, "nodes_share_host", lambda: False)
    leftovers = set(Path(partitioned._shared_folder()).glob("axiom-answer-*"))
    rng = np.random.default_rng(7)
    rows = 3_000
    stamps = pd.bdate_range("2020-01-01", periods=400, tz="UTC")
    entity = pd.DataFrame(
        {
            "symbol": rng.choice([*SYMBOLS, "UNKNOWN"], rows),
            "event_timestamp": stamps[0]
            + pd.to_timedelta(rng.integers(-5 * 86_400, 600 * 86_400, rows), unit="s"),
            "label": rng.normal(size=rows),
        }
    )
    for ttl_days in (None, 30):
        requests = _requests(local_run, ttl_days)
        with pit.connect(threads=1) as con:
            local = joined_frame(con, entity, "event_timestamp", requests).to_pandas()
        settings = _ray_settings(cluster, partition_mb=1)
        on_ray = ray_joined_frame(entity, "event_timestamp", requests, settings).to_pandas()
        pd.testing.assert_frame_equal(on_ray, local, check_exact=True)
        assert on_ray["label"].tolist() == entity["label"].tolist()  # the caller's order
        matched = on_ray["ta_momentum__" + catalogue().view("ta_momentum").feature_names[-1]]
        assert matched.notna().sum() > rows // 2 and matched.isna().any()
    assert set(Path(partitioned._shared_folder()).glob("axiom-answer-*")) <= leftovers


def _redis_dump(client, project: str) -> dict[bytes, dict[bytes, bytes]]:  # noqa: ANN001
    """Every hash of ``project``, keyed without the project suffix, with its TTL state."""
    suffix = project.encode()
    return {
        key.removesuffix(suffix): (client.hgetall(key), client.ttl(key) > 0)
        for key in client.scan_iter(match=b"*" + suffix, count=1000)
    }


def test_online_writes_from_ray_tasks_store_the_bytes_of_the_local_writer(cluster, redis_url):
    rng = np.random.default_rng(3)
    rows = 400
    table = pa.table(
        {
            "symbol": [f"S{i % 150:03d}" for i in range(rows)],  # entities repeat: newest wins
            "event_timestamp": pa.array(
                pd.Timestamp("2024-01-02", tz="UTC")
                + pd.to_timedelta(rng.permutation(rows), unit="h")
            ),
            "f1": rng.normal(size=rows),
            "f2": np.where(rng.random(rows) < 0.1, np.nan, rng.normal(size=rows)),
        }
    )
    view = ViewLayout(
        name="prices",
        join_keys=["symbol"],
        join_key_types=[ValueType.STRING],
        features=[("f1", ValueType.DOUBLE), ("f2", ValueType.DOUBLE)],
    )
    config = AxiomRedisOnlineStoreConfig(url=redis_url, key_ttl_seconds=3600)
    store = AxiomRedisOnlineStore()
    client = store._get_client(config)
    local, remote = (f"scaleout_{kind}_{uuid.uuid4().hex[:8]}" for kind in ("local", "ray"))
    expected = write_rows(client, project=local, view=view, table=table, key_ttl_seconds=3600)
    written = write_rows_on_ray(
        store, config, _ray_settings(cluster), project=remote, view=view, table=table, batch_rows=50
    )
    assert written == expected.written  # rows newer than an earlier row of their entity
    assert len(entity_parts(table, ["symbol"], 4)) == 4
    assert _redis_dump(client, remote) == _redis_dump(client, local)
    assert len(_redis_dump(client, local)) == 150


def _ray_tasks_run() -> int:
    """Batch tasks the cluster has finished so far (Ray's task events arrive within ~1 s)."""
    return len(list_tasks(filters=[("name", "=", "_on_node")], limit=10_000))


def _more_tasks_than(before: int) -> int:
    deadline = time.monotonic() + 15
    while (now := _ray_tasks_run()) <= before and time.monotonic() < deadline:
        time.sleep(0.5)
    return now - before


def _feast_store(root: Path, offline: RepoPaths, redis_url: str, compute: str) -> FeatureStore:
    """A Feast repo over ``offline``'s ta_momentum tables: the platform's offline store,
    Redis online through the fast engine, and ``compute`` appended to its YAML."""
    project = f"scaleout_{uuid.uuid4().hex[:8]}"
    root.mkdir()
    yaml = root / "feature_store.yaml"
    yaml.write_text(
        f"project: {project}\nprovider: local\nregistry: {root}/registry.db\n"
        f"online_store:\n  type: {REDIS_STORE}\n  url: {redis_url}\n"
        f"offline_store:\n  type: {DUCKDB_STORE}\n"
        f"batch_engine:\n  type: {FAST_ENGINE}\n"
        f"entity_key_serialization_version: 3\n{compute}"
    )
    store = FeatureStore(repo_path=str(root), fs_yaml_file=yaml)
    symbol = Entity(name="symbol", join_keys=["symbol"])
    features = catalogue().view("ta_momentum").feature_names[:12]
    view = FeatureView(
        name="ta_momentum",
        entities=[symbol],
        ttl=timedelta(days=3650),
        schema=[Field(name=f, dtype=Float64) for f in features],
        source=FileSource(
            path=str(offline.offline_view("ta_momentum")),
            timestamp_field="event_timestamp",
            created_timestamp_column="created_timestamp",
        ),
    )
    store.apply([symbol, view])
    return store


def test_the_compute_block_sends_feast_retrieval_and_materialization_to_the_cluster(
    cluster, local_run, redis_url, tmp_path
):
    ray_block = (
        f"compute:\n  engine: ray\n  address: {cluster.address}\n"
        "  min_symbols: 4\n  min_entity_rows: 1000\n"
    )
    local = _feast_store(tmp_path / "local", local_run, redis_url, "")
    remote = _feast_store(tmp_path / "ray", local_run, redis_url, ray_block)
    rng = np.random.default_rng(11)
    entity = pd.DataFrame(
        {
            "symbol": rng.choice(SYMBOLS, 2_000),
            "event_timestamp": pd.Timestamp("2020-01-01", tz="UTC")
            + pd.to_timedelta(rng.integers(0, 560 * 86_400, 2_000), unit="s"),
        }
    )
    features = [f"ta_momentum:{f}" for f in catalogue().view("ta_momentum").feature_names[:12]]

    before = _ray_tasks_run()
    on_ray = remote.get_historical_features(entity_df=entity, features=features).to_df()
    assert _more_tasks_than(before) >= 4  # partitions: two per cluster CPU at least
    expected = local.get_historical_features(entity_df=entity, features=features).to_df()
    pd.testing.assert_frame_equal(on_ray, expected, check_exact=True)
    assert on_ray[features[0].split(":")[1]].notna().any()

    end = datetime(2021, 6, 1, tzinfo=UTC)
    before = _ray_tasks_run()
    remote.materialize(datetime(2019, 1, 1, tzinfo=UTC), end)
    assert _more_tasks_than(before) >= 1
    local.materialize(datetime(2019, 1, 1, tzinfo=UTC), end)
    client = AxiomRedisOnlineStore()._get_client(local.config.online_store)
    written = _redis_dump(client, remote.project)
    assert len(written) == len(SYMBOLS)
    assert written == _redis_dump(client, local.project)


def test_a_worker_node_killed_mid_job_costs_only_a_rerun_of_its_batches(
    cluster, lake, local_hash, tmp_path
):
    repo = _copy_lake(lake, tmp_path)
    (worker,) = cluster.worker_nodes
    killed: list[int] = []
    stop = threading.Event()
    killer = threading.Thread(target=kill_when_busy, args=(cluster, worker, killed, stop))
    killer.start()

    def arm_after_first_batch(done: int, total: int) -> None:
        if not killed:
            killed.append(0)

    try:
        result = run_transform_job(
            repo,
            views=VIEWS,
            created=CREATED,
            compute=_ray_settings(cluster, batch_size=1),
            progress=arm_after_first_batch,
        )
    finally:
        stop.set()
        killer.join()
    assert killed and killed[0] >= 1, "the node was not running a batch when it was killed"
    assert worker.unique_id not in _node_ids()
    assert result.engine == "ray"
    assert result.rows_per_view == {v: 400 * len(SYMBOLS) for v in VIEWS}
    assert offline_hash(repo) == local_hash
