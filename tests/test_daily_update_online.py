"""A corrected bar whose row is a symbol's latest replaces that row online (real Redis).

The fast Redis writer keeps Feast's rule and skips a row that is not newer than the one it
holds, so the daily update writes the recomputed latest rows again with ``overwrite``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from axiom_features.feature_store import open_store
from axiom_features.ingest import QualityOptions, import_frame
from axiom_features.materialize.fast_engine import ENGINE_TYPE
from axiom_features.paths import RepoPaths
from axiom_features.pipeline import jobs
from axiom_features.synthetic.bars import generate_bars
from axiom_features.updates.jobs import daily_update
from tests.conftest import copy_feature_repo
from tests.online_fixtures import write_yaml

pytestmark = pytest.mark.redis

SYMBOLS = ["AAA", "BBB"]
END = datetime(2025, 6, 27, 21, tzinfo=UTC)
RECEIVED = datetime(2025, 6, 28, tzinfo=UTC)
VIEW = "ta_momentum"


@pytest.fixture
def repo(tmp_path: Path, redis_url: str) -> Iterator[Path]:
    """A repo whose default profile writes Redis through the fast engine, transformed,
    materialized and marked by a first update."""
    cwd = os.getcwd()
    project = f"u{uuid.uuid4().hex[:10]}"
    root = copy_feature_repo(tmp_path / "repo", project=project)
    write_yaml(root, "feature_store", project=project, redis_url=redis_url, engine=ENGINE_TYPE)
    try:
        bars = generate_bars(SYMBOLS, 120, seed=3, end=END, created_at=RECEIVED)
        result = import_frame(bars, RepoPaths(root), run_id="r0", source="synthetic")
        assert result.accepted == len(bars)
        jobs.transform(root, views=[VIEW])
        jobs.apply(root)
        jobs.materialize(root, datetime(1970, 1, 1, tzinfo=UTC), datetime.now(UTC), views=[VIEW])
        daily_update(root, views=[VIEW])  # the marks of the transformed tables
        yield root
    finally:
        os.chdir(cwd)


def online_row(root: Path, symbol: str) -> dict[str, float]:
    store = open_store(root)
    features = [f"{VIEW}:{f.name}" for f in store.get_feature_view(VIEW).features]
    answer = store.get_online_features(features=features, entity_rows=[{"symbol": symbol}])
    return {k: v[0] for k, v in answer.to_dict().items() if k != "symbol"}


def latest_offline_row(root: Path, symbol: str) -> dict[str, float]:
    table = pq.read_table(RepoPaths(root).offline_view(VIEW) / f"{symbol}.parquet")
    last = table.slice(table.num_rows - 1).to_pylist()[0]
    return {
        k: v for k, v in last.items() if k not in ("symbol", "event_timestamp", "created_timestamp")
    }


def test_a_corrected_latest_bar_replaces_the_online_row_of_the_same_time(repo: Path) -> None:
    lake = pd.read_parquet(RepoPaths(repo).bars / "BBB.parquet")
    latest = lake[lake.event_timestamp == lake.event_timestamp.max()].copy()
    before = online_row(repo, "BBB")
    assert before == pytest.approx(latest_offline_row(repo, "BBB"), nan_ok=True)

    corrected = latest.drop(columns=[c for c in latest.columns if c not in (
        "symbol", "event_timestamp", "open", "high", "low", "close", "volume")])  # fmt: skip
    corrected["close"] *= 1.05
    corrected["high"] = corrected[["high", "close"]].max(axis=1)
    received = pd.Timestamp.now(tz="UTC")  # after the marks
    corrected["created_timestamp"] = received.as_unit("us")
    options = QualityOptions(on_conflict="replace", now=received)
    result = import_frame(
        corrected, RepoPaths(repo), run_id="r1", source="synthetic", quality=options
    )
    assert result.accepted == 1, result

    update = daily_update(repo, views=[VIEW], created=received.to_pydatetime())
    assert update.changed_latest == {VIEW: latest.event_timestamp.iloc[0]}
    after = online_row(repo, "BBB")
    offline = latest_offline_row(repo, "BBB")
    assert after == pytest.approx(offline, nan_ok=True)
    changed = [k for k in offline if not np.isclose(offline[k], before[k], equal_nan=True)]
    assert changed, "the correction changed no feature of the latest row"
    assert online_row(repo, "AAA") == pytest.approx(latest_offline_row(repo, "AAA"), nan_ok=True)
