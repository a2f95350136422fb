"""Lakes and offline tables on a storage a cluster can reach: an S3-compatible bucket (moto's
HTTP server, a real S3 endpoint in this process) or a shared folder. Ingest and transform
there store the same bytes as a local run, a Ray run on two nodes reads the bucket's lakes
and writes its offline tables there, and names never leave the base."""

from __future__ import annotations

import hashlib
import posixpath
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import psutil
import pyarrow.fs as pafs
import pytest
import ray
from ray.cluster_utils import Cluster

from axiom_features.ingest import import_frame
from axiom_features.lakes import transaction as transactions
from axiom_features.lakes.bars import BarLake
from axiom_features.lakes.checksums import sidecar
from axiom_features.lakes.fundamentals import FundamentalsLake
from axiom_features.lakes.history import keep_replaced, read_history
from axiom_features.lakes.news import NewsLake
from axiom_features.lakes.symbols import symbol_file
from axiom_features.paths import RepoPaths
from axiom_features.pipeline.transform_job import run_transform_job
from axiom_features.scaleout.settings import ComputeSettings
from axiom_features.storage.open import open_storage
from axiom_features.storage.repo import storage_of
from axiom_features.storage.settings import StorageSettings, storage_settings
from axiom_features.storage.store import Storage
from axiom_features.synthetic.bars import generate_bars
from axiom_features.synthetic.fundamentals import generate_fundamentals
from axiom_features.synthetic.news import generate_news
from tests.s3_server import s3_server

BUCKET = "axiom-features"
SYMBOLS = ["AAPL", "BRK/B", "^GSPC", ".HIDDEN", "a b%c", "株" * 25]
"""Plain, a slash, a caret, a leading dot, space and percent, and a name hashed for length."""
VIEWS = ["ta_momentum", "microstructure", "regime", "fundamentals_valuation", "sentiment_daily"]
"""TA-Lib, pandas families, the market frame, and views reading the fundamentals and news lakes."""
CREATED = datetime(2025, 1, 2, 21, 0, tzinfo=UTC)
END = datetime(2024, 12, 31, 21, 0, tzinfo=UTC)
DAYS = 260


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """A real S3 HTTP endpoint on this machine, with one empty bucket."""
    with s3_server(BUCKET) as url:
        yield url


def _bucket(endpoint: str, prefix: str) -> StorageSettings:
    return StorageSettings(
        uri=f"s3://{BUCKET}/{prefix}",
        endpoint_url=endpoint,
        region="us-east-1",
        access_key="testing",
        secret_key="testing",
    )


def _fill_lakes(repo: RepoPaths) -> None:
    """Bars through the ingest (quality gate, transaction), filings and headlines."""
    bars = generate_bars(SYMBOLS, DAYS, seed=3, end=END, created_at=CREATED)
    result = import_frame(bars, repo, run_id="ingest-1", source="synthetic")
    assert result.new_rows == len(bars)
    filings = generate_fundamentals(SYMBOLS, start="2023-06-30", end=END, seed=5)
    FundamentalsLake(repo).upsert(filings)
    sessions = pd.DatetimeIndex(sorted(bars["event_timestamp"].unique()))
    headlines = generate_news(SYMBOLS, sessions, seed=9, created_at=pd.Timestamp(CREATED))
    NewsLake(repo).upsert(headlines)


def _tree(storage: Storage, folder: Path) -> dict[str, str]:
    """sha256 of every file under ``folder`` on ``storage``, by path below it."""
    root = storage.locate(folder)
    selector = pafs.FileSelector(root, recursive=True, allow_not_found=True)
    digests = {}
    for info in storage.filesystem.get_file_info(selector):
        if info.type == pafs.FileType.File:
            with storage.filesystem.open_input_stream(info.path) as stream:
                digest = hashlib.sha256(stream.read()).hexdigest()
            digests[posixpath.relpath(info.path, root)] = digest
    return digests


def _stored(repo: RepoPaths) -> dict[str, dict[str, str]]:
    """Lakes, offline tables and their checksums, as stored."""
    storage = storage_of(repo)
    folders = {
        "bars": repo.bars,
        "fundamentals": repo.data / "lake" / "fundamentals",
        "news": repo.data / "lake" / "news",
        "offline": repo.offline,
        "checksums": repo.data / ".checksums" / "offline",
        "bar checksums": repo.data / ".checksums" / "lake" / "bars",
    }
    return {name: _tree(storage, folder) for name, folder in folders.items()}


@pytest.fixture(scope="module")
def local_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    repo = RepoPaths(tmp_path_factory.mktemp("local") / "repo")
    _fill_lakes(repo)
    result = run_transform_job(repo, views=VIEWS, created=CREATED, compute=ComputeSettings())
    assert result.engine == "local" and result.symbols == len(SYMBOLS)
    stored = _stored(repo)
    assert len(stored["offline"]) == len(VIEWS) * len(SYMBOLS)
    assert len(stored["bars"]) == len(SYMBOLS) and stored["news"] and stored["fundamentals"]
    return stored


def test_ingest_and_transform_on_a_bucket_store_what_a_local_run_stores(
    s3_endpoint, local_run, tmp_path
):
    repo = RepoPaths(tmp_path / "repo", storage=_bucket(s3_endpoint, "plain"))
    _fill_lakes(repo)
    result = run_transform_job(repo, views=VIEWS, created=CREATED, compute=ComputeSettings())
    assert result.symbols == len(SYMBOLS)
    assert _stored(repo) == local_run
    assert BarLake(repo).symbols() == sorted(SYMBOLS)  # the hashed name read from its data
    assert not (repo.data / "lake" / "bars").exists()  # nothing of the lake landed here
    assert not repo.offline.exists()
    assert (repo.data / "runs").exists() or (repo.data / "lineage").exists()  # driver-side


def test_a_shared_folder_stores_what_a_local_run_stores(local_run, tmp_path):
    shared = tmp_path / "mnt" / "axiom"
    repo = RepoPaths(tmp_path / "repo", storage=StorageSettings(uri=f"file://{shared}"))
    _fill_lakes(repo)
    run_transform_job(repo, views=VIEWS, created=CREATED, compute=ComputeSettings())
    assert _stored(repo) == local_run
    assert (shared / "lake" / "bars" / "BRK%2FB.parquet").is_file()
    assert not repo.offline.exists()


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    """A head node and a worker node, one CPU each; none of their processes outlive it."""
    cluster = Cluster(
        initialize_head=True, head_node_args={"num_cpus": 1, "object_store_memory": 80 * 2**20}
    )
    cluster.add_node(num_cpus=1, object_store_memory=80 * 2**20)
    cluster.wait_for_nodes()
    ray.init(address=cluster.address, log_to_driver=False)
    pids = set()
    try:
        yield cluster
    finally:
        for node in [cluster.head_node, *cluster.worker_nodes]:
            pids |= {info.process.pid for infos in node.all_processes.values() for info in infos}
        ray.shutdown()
        cluster.shutdown()
    deadline = time.monotonic() + 20
    while any(psutil.pid_exists(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.2)


def test_a_ray_run_reads_lakes_from_the_bucket_and_writes_its_tables_there(
    s3_endpoint, local_run, cluster, tmp_path
):
    repo = RepoPaths(tmp_path / "repo", storage=_bucket(s3_endpoint, "ray"))
    _fill_lakes(repo)
    compute = ComputeSettings(engine="ray", address=cluster.address, min_symbols=2, batch_size=1)
    result = run_transform_job(repo, views=VIEWS, created=CREATED, compute=compute)
    assert result.engine == "ray"
    alive = {node["NodeID"] for node in ray.nodes() if node["Alive"]}
    assert set(result.batches_per_node) == alive and len(alive) == 2  # both nodes read S3
    assert _stored(repo) == local_run
    assert not repo.offline.exists()


def test_a_decided_import_reaches_the_bucket_through_recover(s3_endpoint, tmp_path, monkeypatch):
    """Staged beside the driver, decided by its manifest, published by ``recover`` after a
    crash between the manifest and the uploads; an undecided one never reaches the bucket."""
    repo = RepoPaths(tmp_path / "repo", storage=_bucket(s3_endpoint, "recover"))
    storage = storage_of(repo)
    bars = generate_bars(["AAPL", "BRK/B"], 20, seed=1, end=END, created_at=CREATED)
    early = bars["event_timestamp"] < bars["event_timestamp"].iloc[10]
    BarLake(repo).upsert(bars[early])

    def crash(repo: RepoPaths, folder: Path) -> None:
        raise RuntimeError("killed after the manifest")

    monkeypatch.setattr(transactions, "_publish", crash)
    with pytest.raises(RuntimeError), transactions.transaction(repo, "run-2") as staged:
        BarLake(repo).upsert(bars[~early], transaction=staged)
        stamp = pd.Timestamp(CREATED)
        keep_replaced(repo, bars[early].head(1), run_id="r2", replaced_at=stamp, transaction=staged)
    monkeypatch.undo()
    assert len(BarLake(repo).read()) == early.sum()  # decided, not yet published
    assert transactions.recover(repo) == {"run-2": "rolled forward"}
    assert len(BarLake(repo).read()) == len(bars)
    path = symbol_file(repo.bars, "BRK/B")
    digest = hashlib.sha256(storage.read_bytes(path)).hexdigest()
    assert storage.read_bytes(sidecar(path)).decode() == digest

    # A second version of the history file: the stored one is read back from the bucket.
    with transactions.transaction(repo, "run-3") as staged:
        stamp = pd.Timestamp(CREATED) + pd.Timedelta(days=1)
        keep_replaced(repo, bars[early].head(1), run_id="r3", replaced_at=stamp, transaction=staged)
    assert read_history(repo, "AAPL")["replaced_by"].tolist() == ["r2", "r3"]

    with pytest.raises(ValueError), transactions.transaction(repo, "run-4") as staged:
        BarLake(repo).upsert(bars.assign(source="other"), transaction=staged)
        raise ValueError("the import failed")
    (transactions.transactions_dir(repo) / "run-5").mkdir(parents=True)  # undecided
    assert transactions.recover(repo) == {"run-5": "rolled back"}
    assert set(BarLake(repo).read().to_pandas()["source"]) == {"synthetic"}


def test_names_never_leave_the_base(s3_endpoint, tmp_path):
    repo = RepoPaths(tmp_path / "repo", storage=_bucket(s3_endpoint, "names"))
    storage = storage_of(repo)
    hostile = symbol_file(repo.bars, "../../../../x/EVIL")
    assert storage.locate(hostile) == f"{BUCKET}/names/lake/bars/{hostile.name}"
    assert hostile.name.startswith("%2E.%2F") and "/" not in hostile.name
    for outside in (
        repo.root / "feature_store.yaml",
        repo.data / ".." / "elsewhere.parquet",
        repo.bars / ".." / ".." / ".." / "x.parquet",
        repo.data / "runs" / "run.json",  # the driver's own files are not on the storage
    ):
        with pytest.raises(ValueError):
            storage.locate(outside)
    assert storage.display(repo.bars / "A.parquet") == f"s3://{BUCKET}/names/lake/bars/A.parquet"


def test_settings_come_from_the_storage_block_and_the_environment_wins(tmp_path):
    config = tmp_path / "feature_store.yaml"
    config.write_text(
        "project: p\nstorage:\n  uri: s3://bucket/prefix\n  endpoint_url: ${TEST_ENDPOINT}\n"
        "  access_key: AKIDEXAMPLE\n  secret_key: s3cr3t-value\n"
    )
    settings = storage_settings(config, {"TEST_ENDPOINT": "http://minio:9000"})
    assert (settings.scheme, settings.endpoint_url) == ("s3", "http://minio:9000")
    assert settings.secret_key == "s3cr3t-value"
    assert "s3cr3t" not in repr(settings) and "AKIDEXAMPLE" not in repr(settings)
    env = {"AXIOM_STORAGE_URI": "/mnt/shared/axiom", "AWS_ENDPOINT_URL": "http://s3:9000"}
    moved = storage_settings(config, env)
    assert (moved.uri, moved.scheme, moved.endpoint_url) == (
        "/mnt/shared/axiom",
        "file",
        env["AWS_ENDPOINT_URL"],
    )
    assert storage_settings(tmp_path / "absent.yaml", {}).scheme == "local"
    config.write_text("storage:\n  url: s3://bucket\n")
    with pytest.raises(ValueError, match="unknown storage setting.*url"):
        storage_settings(config, {})
    data = tmp_path / "repo" / "data"
    assert open_storage(data, StorageSettings()).in_place
    relative = open_storage(data, StorageSettings(uri="shared"))
    assert relative.locate(data / "offline" / "v" / "A.parquet") == str(
        tmp_path / "repo" / "shared" / "offline" / "v" / "A.parquet"
    )
