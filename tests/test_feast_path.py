"""The whole path through Feast on a scratch repo: lake → offline tables → registry → online.

Covers the profile attached to every materialization (row counts equal rows written), the
run records, training retrieval, and Redis returning the same values as SQLite.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from axiom_features.feature_store import open_store
from axiom_features.paths import RepoPaths
from axiom_features.pipeline import jobs
from axiom_features.pipeline.runs import RunLog
from axiom_features.synthetic.bars import generate_bars
from monitoring.profile_store import ProfileStore
from monitoring.profiling import profile_summary
from tests.conftest import copy_feature_repo

NOW = datetime(2026, 6, 30, 22, 0, tzinfo=UTC)
SYMBOLS = ["AXM", "BLQ", "CRX"]


@pytest.fixture(scope="module")
def built_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three symbols imported, transformed and applied; nothing materialized yet."""
    cwd = os.getcwd()
    root = copy_feature_repo(tmp_path_factory.mktemp("repo"), project=f"t{uuid.uuid4().hex[:8]}")
    bars = generate_bars(SYMBOLS, 260, seed=3, end=NOW)
    # BLQ stops trading 20 sessions early, so a short window sees only two symbols.
    bars = bars[~((bars["symbol"] == "BLQ") & (bars["event_timestamp"] > NOW - timedelta(days=25)))]
    jobs.ingest_frame(root, bars, source="synthetic", origin="<test>")
    jobs.transform(root, workers=1)
    jobs.apply(root)
    os.chdir(cwd)
    return root


def _symbols_with_rows(root: Path, view: str, start: datetime, end: datetime) -> int:
    table = pq.read_table(RepoPaths(root).offline_view(view), columns=["symbol", "event_timestamp"])
    frame = table.to_pandas()
    window = frame[(frame["event_timestamp"] >= start) & (frame["event_timestamp"] <= end)]
    return window["symbol"].nunique()


def test_materialize_profiles_exactly_the_rows_written_per_view(
    built_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(built_repo)
    start, end = NOW - timedelta(days=10), NOW
    result = jobs.materialize(built_repo, start, end)

    store = ProfileStore(RepoPaths(built_repo).profiles)
    records = {r.feature_view: r for r in store.list() if r.run_id == result.run_id}
    views = {v.name for v in open_store(built_repo).list_feature_views()}
    assert set(records) == views
    for view, record in records.items():
        expected = _symbols_with_rows(built_repo, view, start, end)
        assert expected == 2  # BLQ has no bar in the window
        assert record.row_count == expected
        summary = profile_summary(store.load(record))
        assert set(summary["count"]) == {expected}

    run = RunLog(RepoPaths(built_repo).runs).read(result.run_id)
    assert run.status == "succeeded"
    assert run.row_counts == {view: 2 for view in views}


def test_online_values_are_the_latest_offline_row(built_repo: Path, monkeypatch) -> None:
    monkeypatch.chdir(built_repo)
    jobs.materialize(built_repo, NOW - timedelta(days=400), NOW)
    store = open_store(built_repo)
    online = store.get_online_features(
        features=["ta_overlap:sma_20", "ta_momentum:rsi_14"],
        entity_rows=[{"symbol": s} for s in SYMBOLS],
    ).to_df()
    for view, feature in (("ta_overlap", "sma_20"), ("ta_momentum", "rsi_14")):
        offline = pq.read_table(RepoPaths(built_repo).offline_view(view)).to_pandas()
        latest = (
            offline.sort_values("event_timestamp").groupby("symbol").tail(1).set_index("symbol")
        )
        for symbol in SYMBOLS:
            got = online.loc[online["symbol"] == symbol, feature].item()
            assert got == pytest.approx(latest.loc[symbol, feature], rel=1e-12)


def test_training_frame_is_point_in_time_correct(built_repo: Path, monkeypatch) -> None:
    monkeypatch.chdir(built_repo)
    offline = pq.read_table(RepoPaths(built_repo).offline_view("ta_overlap")).to_pandas()
    axm = offline[offline["symbol"] == "AXM"].sort_values("event_timestamp")
    bar_time = axm["event_timestamp"].iloc[100]
    entity_df = pd.DataFrame(
        {
            "symbol": ["AXM", "AXM"],
            # one second before the close: the day's bar is not known yet
            "event_timestamp": [bar_time - pd.Timedelta(seconds=1), bar_time],
        }
    )
    frame = (
        open_store(built_repo)
        .get_historical_features(entity_df=entity_df, features=["ta_overlap:sma_20"])
        .to_df()
        .sort_values("event_timestamp")
    )
    assert frame["sma_20"].tolist() == pytest.approx(
        [axm["sma_20"].iloc[99], axm["sma_20"].iloc[100]], rel=1e-12
    )


def test_plain_feast_materialize_incremental_leaves_profiles(built_repo: Path) -> None:
    feast = Path(sys.executable).with_name("feast")
    before = {r.run_id for r in ProfileStore(RepoPaths(built_repo).profiles).list()}
    done = subprocess.run(
        [str(feast), "materialize-incremental", NOW.strftime("%Y-%m-%dT%H:%M:%S")],
        cwd=built_repo,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    new = [r for r in ProfileStore(RepoPaths(built_repo).profiles).list() if r.run_id not in before]
    assert {r.feature_view for r in new} == {
        v.name for v in open_store(built_repo).list_feature_views()
    }
    assert all(r.row_count >= 0 for r in new)
    assert RunLog(RepoPaths(built_repo).runs).list("feast materialize")


@pytest.mark.redis
@pytest.mark.postgres
def test_redis_serves_the_same_values_as_sqlite(
    built_repo: Path, redis_url: str, fresh_postgres_url: str, monkeypatch
) -> None:
    monkeypatch.chdir(built_repo)
    monkeypatch.setenv("AXIOM_REDIS_URL", redis_url)
    monkeypatch.setenv("AXIOM_POSTGRES_URL", fresh_postgres_url)
    start = NOW - timedelta(days=400)
    jobs.load_offline(built_repo, "production")  # the production offline store is PostgreSQL
    jobs.apply(built_repo, profile="production")
    result = jobs.materialize(built_repo, start, NOW, profile="production")
    assert all(v.rows == len(SYMBOLS) for v in result.views)

    def read(profile: str) -> dict[str, list]:
        store = open_store(built_repo, profile)
        service = store.get_feature_service("technical_all")
        return store.get_online_features(
            features=service, entity_rows=[{"symbol": s} for s in SYMBOLS]
        ).to_dict()

    jobs.materialize(built_repo, start, NOW)
    from_sqlite, from_redis = read("default"), read("production")
    assert from_redis.keys() == from_sqlite.keys()
    assert len(from_redis) > 200
    for name, values in from_sqlite.items():
        for a, b in zip(values, from_redis[name], strict=True):
            assert (a is None and b is None) or a == b or (math.isnan(a) and math.isnan(b)), name


def test_materializing_before_any_transform_writes_nothing_and_says_so(
    feature_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(feature_repo)
    jobs.apply(feature_repo)
    result = jobs.materialize(feature_repo, NOW - timedelta(days=5), NOW)
    assert result.views and all(v.rows == 0 for v in result.views)
    records = ProfileStore(RepoPaths(feature_repo).profiles).list()
    assert {r.row_count for r in records} == {0}
