"""Training sets and materialization read the offline tables from the repo's storage.

With the offline tables in an S3-compatible bucket (moto's HTTP server, a real S3 endpoint in
this process), or in a shared folder, and no ``data/offline`` on this machine, Feast's
``get_historical_features`` (the DuckDB join here and the partitioned join on Ray workers)
and ``materialize`` answer exactly what the same repo answers with its tables in ``data/``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import ray
from feast import Entity, FeatureStore, FeatureView, Field, FileSource
from feast.types import Bool, Float32, Float64, Int32, Int64, String
from feast.value_type import ValueType

from axiom_features.ingest import import_frame
from axiom_features.offline import duckdb_store, partitioned
from axiom_features.offline.sources import offline_storage
from axiom_features.paths import RepoPaths
from axiom_features.pipeline.transform_job import run_transform_job
from axiom_features.scaleout.settings import ComputeSettings
from axiom_features.storage.settings import StorageSettings
from axiom_features.synthetic.bars import generate_bars
from tests.s3_server import s3_server

BUCKET = "axiom-reads"
SYMBOLS = ["AAPL", "BRK/B", "MSFT"]
VIEWS = ["ta_momentum", "regime"]
DAYS = 300
CREATED = datetime(2025, 1, 2, 21, 0, tzinfo=UTC)
END = datetime(2024, 12, 31, 21, 0, tzinfo=UTC)
DUCKDB_STORE = "axiom_features.offline.duckdb_store.AxiomDuckDBOfflineStore"
FAST_ENGINE = "axiom_features.materialize.fast_engine.FastComputeEngine"
FEAST_TYPES = {
    pa.float64(): Float64,
    pa.float32(): Float32,
    pa.int64(): Int64,
    pa.int32(): Int32,
    pa.bool_(): Bool,
    pa.string(): String,
}


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """A real S3 HTTP endpoint on this machine, with one empty bucket."""
    with s3_server(BUCKET) as url:
        yield url


def _bucket(endpoint: str) -> StorageSettings:
    return StorageSettings(
        uri=f"s3://{BUCKET}/repo",
        endpoint_url=endpoint,
        region="us-east-1",
        access_key="testing",
        secret_key="testing",
    )


def _storage_block(settings: StorageSettings | str | None) -> str:
    if settings is None or isinstance(settings, str):
        return settings or ""
    names = ("uri", "endpoint_url", "region", "access_key", "secret_key")
    values = [(n, getattr(settings, n)) for n in names if getattr(settings, n)]
    return "storage:\n" + "".join(f"  {n}: {v}\n" for n, v in values)


def _fill(repo: RepoPaths) -> None:
    """Bars through the ingest, then the views' offline tables through the transform job."""
    bars = generate_bars(SYMBOLS, DAYS, seed=3, end=END, created_at=CREATED)
    assert import_frame(bars, repo, run_id="ingest-1", source="synthetic").new_rows == len(bars)
    result = run_transform_job(repo, views=VIEWS, created=CREATED, compute=ComputeSettings())
    assert result.symbols == len(SYMBOLS)


def _schemas(local: RepoPaths) -> dict[str, pa.Schema]:
    return {
        view: pq.read_schema(next(local.offline_view(view).glob("*.parquet"))) for view in VIEWS
    }


def _feature_names(schemas: dict[str, pa.Schema]) -> dict[str, list[str]]:
    skip = {"symbol", "event_timestamp", "created_timestamp"}
    return {
        view: [f.name for f in schema if f.name not in skip and f.type in FEAST_TYPES]
        for view, schema in schemas.items()
    }


def _feast_store(
    root: Path,
    schemas: dict[str, pa.Schema],
    storage: StorageSettings | str | None,
    compute: str = "",
) -> FeatureStore:
    """A Feast repo at ``root`` over ``data/offline/<view>`` (SQLite online, the platform's
    offline store and engine), its ``storage:`` block naming ``storage`` (or that text)."""
    root.mkdir(parents=True, exist_ok=True)
    yaml = root / "feature_store.yaml"
    yaml.write_text(
        f"project: reads_{uuid.uuid4().hex[:8]}\nprovider: local\n"
        "registry: data/registry.db\n"
        "online_store:\n  type: sqlite\n  path: data/online_store.db\n"
        f"offline_store:\n  type: {DUCKDB_STORE}\n"
        f"batch_engine:\n  type: {FAST_ENGINE}\n"
        f"entity_key_serialization_version: 3\n{_storage_block(storage)}{compute}"
    )
    store = FeatureStore(repo_path=str(root), fs_yaml_file=yaml)
    symbol = Entity(name="symbol", join_keys=["symbol"], value_type=ValueType.STRING)
    views = []
    for view, names in _feature_names(schemas).items():
        schema = schemas[view]
        views.append(
            FeatureView(
                name=view,
                entities=[symbol],
                ttl=timedelta(days=3650),
                schema=[
                    Field(name="symbol", dtype=String),
                    *[Field(name=n, dtype=FEAST_TYPES[schema.field(n).type]) for n in names],
                ],
                source=FileSource(
                    name=f"{view}_source",
                    path=f"data/offline/{view}",
                    timestamp_field="event_timestamp",
                    created_timestamp_column="created_timestamp",
                ),
            )
        )
    store.apply([symbol, *views])
    return store


@pytest.fixture(scope="module")
def repos(
    s3_endpoint: str, tmp_path_factory: pytest.TempPathFactory
) -> tuple[FeatureStore, FeatureStore, dict[str, pa.Schema]]:
    """The same tables in a local repo's ``data/`` and in the bucket (nothing local)."""
    local = RepoPaths(tmp_path_factory.mktemp("local") / "repo")
    _fill(local)
    schemas = _schemas(local)
    bucket = RepoPaths(tmp_path_factory.mktemp("bucket") / "repo", storage=_bucket(s3_endpoint))
    _fill(bucket)
    assert not bucket.offline.exists()
    return (
        _feast_store(local.root, schemas, None),
        _feast_store(bucket.root, schemas, bucket.storage),
        schemas,
    )


def _entity(rows: int, seed: int) -> pd.DataFrame:
    """Entity rows in no particular order: known symbols and one without a table, times
    from before the first bar to after the last."""
    rng = np.random.default_rng(seed)
    first = END - timedelta(days=DAYS * 7 // 5)
    return pd.DataFrame(
        {
            "symbol": rng.choice([*SYMBOLS, "UNKNOWN"], rows),
            "event_timestamp": pd.Timestamp(first - timedelta(days=20))
            + pd.to_timedelta(rng.integers(0, (DAYS * 7 // 5 + 40) * 86_400, rows), unit="s"),
            "label": rng.normal(size=rows),
        }
    )


def _refs(schemas: dict[str, pa.Schema]) -> list[str]:
    return [f"{view}:{name}" for view, names in _feature_names(schemas).items() for name in names]


def _assert_same_training_set(
    remote: FeatureStore, local: FeatureStore, entity: pd.DataFrame, refs: list[str]
) -> pd.DataFrame:
    got = remote.get_historical_features(
        entity_df=entity, features=refs, full_feature_names=True
    ).to_df()
    expected = local.get_historical_features(
        entity_df=entity, features=refs, full_feature_names=True
    ).to_df()
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert got["label"].tolist() == entity["label"].tolist()  # the caller's row order
    return got


def test_a_training_set_read_from_the_bucket_equals_the_local_one(repos):
    local, remote, schemas = repos
    entity = _entity(600, seed=11)
    refs = _refs(schemas)
    got = _assert_same_training_set(remote, local, entity, refs)
    first = refs[0].replace(":", "__")
    assert got[first].notna().sum() > len(entity) // 2 and got[first].isna().any()
    assert got.columns.size == entity.columns.size + len(refs)

    known = remote.get_historical_features(
        entity_df=entity, features=refs, full_feature_names=True
    ).to_arrow()
    expected = local.get_historical_features(
        entity_df=entity, features=refs, full_feature_names=True
    ).to_arrow()
    assert known.schema.equals(expected.schema)  # Table.equals fails on NaN values
    for name in known.column_names:
        assert known[name].is_null().equals(expected[name].is_null()), name
    pd.testing.assert_frame_equal(known.to_pandas(), expected.to_pandas(), check_exact=True)


def _online(store: FeatureStore, refs: list[str]) -> pd.DataFrame:
    rows = [{"symbol": s} for s in [*SYMBOLS, "UNKNOWN"]]
    return store.get_online_features(features=refs, entity_rows=rows).to_df()


def test_materialize_writes_from_the_bucket_what_it_writes_from_data(repos):
    local, remote, schemas = repos
    refs = _refs(schemas)
    start = END - timedelta(days=120)
    for store in (local, remote):
        store.materialize(start, END)
    got = _online(remote, refs)
    expected = _online(local, refs)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    name = refs[0].split(":")[1]
    assert got[name].iloc[: len(SYMBOLS)].notna().all() and got[name].iloc[-1:].isna().all()


@pytest.fixture(scope="module")
def ray_here() -> Iterator[None]:
    """A Ray of its own on this machine (one CPU), never another job's cluster."""
    ray.init(
        address="local",
        num_cpus=1,
        object_store_memory=80 * 2**20,
        include_dashboard=False,
        log_to_driver=False,
    )
    try:
        yield
    finally:
        ray.shutdown()


@pytest.mark.parametrize("shared", [True, False], ids=["shared_answer", "object_store"])
def test_the_ray_join_reads_the_bucket_on_its_workers(
    repos, ray_here, s3_endpoint, tmp_path, monkeypatch, shared
):
    """The partitioned join on Ray: its workers get the bucket's file system with their
    partition's requests and read the tables from it, whether they write into one shared
    answer or send their blocks back."""
    local, remote, schemas = repos
    if not shared:
        monkeypatch.setattr(partitioned, "nodes_share_host", lambda: False)
    joins = []
    ray_joined_frame = duckdb_store.ray_joined_frame

    def counted(*args, **kwargs):  # noqa: ANN002, ANN003 - the join's own arguments
        joins.append(args[2])
        return ray_joined_frame(*args, **kwargs)

    monkeypatch.setattr(duckdb_store, "ray_joined_frame", counted)
    compute = "compute:\n  engine: ray\n  min_entity_rows: 100\n"
    on_ray = _feast_store(tmp_path / "ray", schemas, _bucket(s3_endpoint), compute)
    assert not (tmp_path / "ray" / "data" / "offline").exists()
    _assert_same_training_set(on_ray, local, _entity(400, seed=5), _refs(schemas))
    assert len(joins) == 1
    assert all(r.filesystem is not None and r.files for r in joins[0])


def test_a_shared_folder_is_read_where_the_transform_wrote(repos, tmp_path):
    local, _, schemas = repos
    shared = StorageSettings(uri=f"file://{tmp_path / 'shared'}")
    repo = RepoPaths(tmp_path / "repo", storage=shared)
    _fill(repo)
    assert not repo.offline.exists() and (tmp_path / "shared" / "offline").is_dir()
    store = _feast_store(repo.root, schemas, shared)
    refs = _refs(schemas)
    _assert_same_training_set(store, local, _entity(300, seed=3), refs)
    start = END - timedelta(days=120)
    store.materialize(start, END)
    local.materialize(start, END)
    pd.testing.assert_frame_equal(_online(store, refs), _online(local, refs), check_exact=True)


def test_unset_variables_of_the_storage_block_are_left_out_and_the_environment_wins(
    repos, s3_endpoint, tmp_path, monkeypatch
):
    """Feast leaves an unset ``${NAME}`` in place; the S3 client's settings then come from
    the environment, as they do for imports and transforms."""
    local, _, schemas = repos
    for name in ("AXIOM_READS_REGION", "AXIOM_STORAGE_URI", "AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    block = f"storage:\n  uri: s3://{BUCKET}/repo\n  region: ${{AXIOM_READS_REGION}}\n"
    store = _feast_store(tmp_path / "env", schemas, block)
    assert store.config.storage["region"] == "${AXIOM_READS_REGION}"
    storage = offline_storage(store.config)
    assert storage is not None and storage.filesystem.region == "us-east-1"  # the default
    _assert_same_training_set(store, local, _entity(200, seed=8), _refs(schemas))
