"""The bar stream is registered in Feast: every bar-based view has a ``PushSource`` in front
of its offline table, and ``FeatureStore.push`` writes rows that ``get_online_features``
then serves, on the embedded default (SQLite) and on the production profile (Redis, SQL
registry in PostgreSQL). Materialization still reads the offline table."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from feast import FileSource, PushSource
from feast.data_source import PushMode

from axiom_features.feature_store import open_store
from axiom_features.incremental.state import BAR_FAMILIES
from axiom_features.pipeline import jobs
from tests.conftest import copy_feature_repo
from tests.services import scratch_database
from transforms.catalogue import catalogue

VIEW = "ta_momentum"
STAMP = pd.Timestamp(datetime(2026, 6, 30, 20, 0, tzinfo=UTC))


def _rows(symbols: list[str]) -> pd.DataFrame:
    features = catalogue().views[VIEW].features
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({f.name: rng.normal(50, 10, len(symbols)) for f in features})
    frame.insert(0, "symbol", symbols)
    frame["event_timestamp"] = STAMP
    frame["created_timestamp"] = STAMP
    return frame


def _pushed_and_served(root: Path, profile: str) -> None:
    store = open_store(root, profile)
    rows = _rows(["PSA", "PSB"])
    store.push(f"{VIEW}_push", rows, to=PushMode.ONLINE)
    names = [f.name for f in catalogue().views[VIEW].features]
    served = store.get_online_features(
        features=[f"{VIEW}:{n}" for n in names], entity_rows=[{"symbol": s} for s in rows.symbol]
    ).to_df()
    pd.testing.assert_frame_equal(
        served[names].astype("float64"), rows[names].astype("float64"), check_exact=True
    )


def test_every_bar_based_view_has_a_push_source_in_front_of_its_table(feature_repo: Path):
    os.chdir(feature_repo)
    jobs.apply(feature_repo)
    store = open_store(feature_repo)
    for name in catalogue().views:
        view = store.get_feature_view(name)
        assert isinstance(view.batch_source, FileSource), name
        if catalogue().family_of(name) in BAR_FAMILIES:
            assert isinstance(view.stream_source, PushSource), name
            assert view.stream_source.name == f"{name}_push"
            assert view.stream_source.batch_source.name == f"{name}_source"
        else:
            assert view.stream_source is None, name
    assert isinstance(store.get_data_source(f"{VIEW}_push"), PushSource)


def test_push_writes_rows_that_the_sqlite_online_store_serves(feature_repo: Path):
    os.chdir(feature_repo)
    jobs.apply(feature_repo)
    _pushed_and_served(feature_repo, "default")


@pytest.fixture
def production_repo(
    tmp_path: Path, postgres_url: str, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    with scratch_database(postgres_url) as database:
        monkeypatch.setenv("AXIOM_POSTGRES_URL", database)
        monkeypatch.setenv("AXIOM_REDIS_URL", redis_url)
        root = copy_feature_repo(tmp_path / "repo", project=f"p{uuid.uuid4().hex[:8]}")
        cwd = os.getcwd()
        try:
            yield root
        finally:
            os.chdir(cwd)


@pytest.mark.postgres
@pytest.mark.redis
def test_push_writes_rows_that_redis_serves_under_the_production_profile(production_repo: Path):
    jobs.apply(production_repo, "production")
    _pushed_and_served(production_repo, "production")
