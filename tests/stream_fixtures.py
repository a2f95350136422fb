"""A small feature repo for stream tests: history in the lake, offline tables, Feast applied,
online store in Redis; bars to stream after it; helpers to read what the stream wrote."""

from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from axiom_features.incremental.state import bar_views
from axiom_features.ingest import import_frame
from axiom_features.lakes.bars import BarLake
from axiom_features.paths import RepoPaths
from axiom_features.pipeline import jobs
from axiom_features.pipeline.transform_job import run_transform_job
from axiom_features.synthetic.bars import generate_bars
from tests.conftest import copy_feature_repo
from tests.online_fixtures import redis_db_url
from transforms.catalogue import catalogue
from transforms.specs import ViewSpec

END = datetime(2026, 3, 31, 22, tzinfo=UTC)
SYMBOLS = ["AXM", "BLQ", "CRX", "DVN"]
HISTORY_DAYS = 300
SQLITE_ONLINE = "  type: sqlite\n  path: data/online_store.db\n"


@dataclass(frozen=True)
class StreamWorld:
    root: Path
    history: pd.DataFrame
    live: pd.DataFrame
    """Bars to publish, in time order."""


def redis_online(root: Path, url: str) -> None:
    """Point the repo's default profile at Redis (the fast online store) at ``url``."""
    yaml = root / "feature_store.yaml"
    online = f"  type: axiom_features.online.fast_store.AxiomFastRedisOnlineStore\n  url: {url}\n"
    text = yaml.read_text()
    assert SQLITE_ONLINE in text
    yaml.write_text(text.replace(SQLITE_ONLINE, online))


def build_world(base: Path, redis_url: str, live_days: int, db: int | None = None) -> StreamWorld:
    """History of :data:`HISTORY_DAYS` sessions stored and transformed; ``live_days`` to come."""
    bars = generate_bars(SYMBOLS, HISTORY_DAYS + live_days, seed=17, end=END)
    times = np.sort(bars["event_timestamp"].unique())
    history = bars[bars["event_timestamp"] <= times[HISTORY_DAYS - 1]]
    live = bars[bars["event_timestamp"] > times[HISTORY_DAYS - 1]]
    root = copy_feature_repo(base / "repo", project=f"s{uuid.uuid4().hex[:10]}")
    url = redis_url if db is None else redis_db_url(redis_url, db)
    redis_online(root, url)
    import_frame(history, RepoPaths(root), run_id="history", source="synthetic")
    run_transform_job(RepoPaths(root), views=[v.name for v in bar_views()], workers=1)
    jobs.apply(root)
    return StreamWorld(root, history.reset_index(drop=True), live.reset_index(drop=True))


def copy_world(world: StreamWorld, dest: Path, redis_url: str, db: int) -> StreamWorld:
    """The same repo (data included) whose online store is database ``db``."""
    shutil.copytree(world.root, dest, ignore=shutil.ignore_patterns("__pycache__"))
    yaml = dest / "feature_store.yaml"
    text = yaml.read_text()
    start = text.index("  url: ")
    end = text.index("\n", start)
    yaml.write_text(text[:start] + f"  url: {redis_db_url(redis_url, db)}" + text[end:])
    return StreamWorld(dest, world.history, world.live)


def online_values(root: Path) -> pd.DataFrame:
    """Every bar-based feature of every symbol, read through ``get_online_features``."""
    cwd = os.getcwd()
    try:
        store = jobs.open_store(root)
        refs = [f"{v.name}:{f.name}" for v in bar_views() for f in v.features]
        rows = [{"symbol": s} for s in SYMBOLS]
        frame = store.get_online_features(features=refs, entity_rows=rows).to_df()
    finally:
        os.chdir(cwd)
    return frame.set_index("symbol").sort_index()


def lake_bars(root: Path) -> pd.DataFrame:
    table = BarLake(RepoPaths(root)).read()
    columns = ["symbol", "event_timestamp", "open", "high", "low", "close", "volume"]
    return table.select(columns).to_pandas().sort_values(["symbol", "event_timestamp"])


def offline_rows(root: Path, view: str, symbol: str) -> pd.DataFrame:
    path = RepoPaths(root).offline_view(view) / f"{symbol}.parquet"
    return pq.read_table(path).to_pandas().drop(columns=["created_timestamp"])


def assert_same_features(
    got: pd.DataFrame, expected: pd.DataFrame, views: list[ViewSpec] | None = None
) -> None:
    """TA-Lib features bit for bit, the others to 1e-12 relative; missing where missing."""
    assert list(got.index) == list(expected.index)
    for view in views if views is not None else bar_views():
        exact = catalogue().family_of(view.name) == "talib"
        for feature in view.features:
            a = got[feature.name].to_numpy(np.float64, na_value=np.nan)
            e = expected[feature.name].to_numpy(np.float64, na_value=np.nan)
            assert np.array_equal(np.isnan(a), np.isnan(e)), f"{feature.name}: missing differs"
            ok = ~np.isnan(e)
            if exact:
                assert np.array_equal(a[ok], e[ok]), f"{feature.name}: not bit for bit"
            else:
                assert (np.abs(a[ok] - e[ok]) <= 1e-12 * np.abs(e[ok])).all(), feature.name
