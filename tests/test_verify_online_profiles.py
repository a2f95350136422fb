"""``axiom verify`` compares the online stores with the offline tables (SQLite and Redis)
and every materialization's whylogs profile with the rows it describes."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from axiom_features.feature_store import open_store
from axiom_features.paths import RepoPaths
from axiom_features.pipeline import jobs
from axiom_features.synthetic.bars import generate_bars
from axiom_features.verify import verify_stores
from monitoring.profile_store import ProfileStore
from monitoring.profiling import profile_frame
from tests.conftest import copy_feature_repo
from tests.services import scratch_database

NOW = datetime(2026, 6, 30, 22, 0, tzinfo=UTC)
VIEW = "ta_price_transform"
PROFILES = ("default", "production")


@pytest.fixture(scope="module")
def materialized(
    tmp_path_factory: pytest.TempPathFactory, postgres_url: str, redis_url: str
) -> Iterator[Path]:
    """Two symbols transformed, applied and materialized into SQLite and Redis; each test
    puts back what it damaged."""
    with pytest.MonkeyPatch.context() as patch, scratch_database(postgres_url) as url:
        outer = tmp_path_factory.mktemp("verify")
        patch.chdir(outer)
        patch.setenv("AXIOM_POSTGRES_URL", url)
        patch.setenv("AXIOM_REDIS_URL", redis_url)
        root = copy_feature_repo(outer / "repo", project=f"v{uuid.uuid4().hex[:8]}")
        bars = generate_bars(["AAA", "BBB"], 40, seed=3, end=NOW)
        jobs.ingest_frame(root, bars, source="synthetic", origin="<test>")
        jobs.transform(root, views=[VIEW], profile="production")
        for profile in PROFILES:
            jobs.apply(root, profile=profile)
            jobs.materialize(root, NOW - timedelta(days=5), NOW, views=[VIEW], profile=profile)
        yield root


def _latest_row(root: Path, symbol: str) -> pd.DataFrame:
    table = pd.read_parquet(RepoPaths(root).offline_view(VIEW))
    rows = table[table["symbol"] == symbol].sort_values("event_timestamp")
    return rows.tail(1).reset_index(drop=True)


def test_a_materialized_repository_verifies_clean_in_every_store(materialized):
    report = verify_stores(RepoPaths(materialized), online_profiles=PROFILES)

    assert report.ok, report.damaged
    assert report.profiles_checked == len(PROFILES)
    assert report.online_checked == list(PROFILES)


def test_a_profile_that_does_not_describe_the_rows_written_is_named(materialized):
    store = ProfileStore(RepoPaths(materialized).profiles)
    record = store.list(kind="materialization")[0]
    stored = store.load(record)
    columns = sorted(stored.get_columns())
    table = pd.read_parquet(RepoPaths(materialized).offline_view(VIEW))
    latest = table.sort_values("event_timestamp").groupby("symbol").tail(1)[columns]
    latest.iloc[0, latest.columns.get_loc("avgprice")] *= 2  # one value the store never held
    path = store.root / record.path
    intact = path.read_bytes()
    path.write_bytes(profile_frame(latest).serialize())
    try:
        report = verify_stores(RepoPaths(materialized))
    finally:
        path.write_bytes(intact)

    assert [(d.store, d.path) for d in report.damaged] == [("profiles", f"profiles/{record.path}")]
    assert "differs from the rows it describes: avgprice" in report.damaged[0].reason


# Redis keeps the newer of two writes, so its damage is a newer row: these tests run last.
@pytest.mark.parametrize(
    ("profile", "later", "reason"),
    [
        ("default", timedelta(0), "avgprice is {bad} online, {good} in the latest offline row"),
        ("production", timedelta(seconds=1), "newer: online row at "),
    ],
)
def test_an_online_value_that_is_not_the_latest_offline_value_is_named(
    materialized, profile, later, reason
):
    row = _latest_row(materialized, "BBB")
    good = float(row.loc[0, "avgprice"])
    damaged = row.assign(avgprice=good + 1.0, event_timestamp=row["event_timestamp"] + later)
    store = open_store(materialized, profile)
    store.write_to_online_store(VIEW, damaged)
    try:
        report = verify_stores(RepoPaths(materialized), online_profiles=PROFILES)
    finally:
        store.write_to_online_store(VIEW, row)

    assert [(d.store, d.path) for d in report.damaged] == [(f"online ({profile})", f"{VIEW} BBB")]
    assert report.damaged[0].reason.startswith(reason.format(bad=good + 1.0, good=good))
