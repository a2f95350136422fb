"""A blocked batch never reaches the lake, the offline tables or the online store."""

from __future__ import annotations

import hashlib
import os
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

from axiom_features.feature_store import open_store
from axiom_features.ingest import QualityOptions
from axiom_features.paths import RepoPaths
from axiom_features.pipeline import jobs
from axiom_features.quality import BatchBlocked
from tests.conftest import copy_feature_repo
from tests.quality_helpers import NOW, clean_bars

SYMBOLS = ["AXM", "BLQ"]
FEATURES = ["ta_overlap:sma_20", "ta_momentum:rsi_14"]


def _digest(folder: Path) -> dict[str, str]:
    """Each table's rows and values (not when it was computed: ``created_timestamp`` aside)."""
    digests = {}
    for path in sorted(folder.rglob("*.parquet")):
        frame = pd.read_parquet(path).drop(columns=["created_timestamp"], errors="ignore")
        rows = pd.util.hash_pandas_object(frame, index=False).to_numpy()
        digests[str(path.relative_to(folder))] = hashlib.sha256(rows.tobytes()).hexdigest()
    return digests


def _online(root: Path) -> pd.DataFrame:
    rows = [{"symbol": s} for s in SYMBOLS]
    return open_store(root).get_online_features(features=FEATURES, entity_rows=rows).to_df()


def test_a_blocked_batch_leaves_lake_offline_and_online_unchanged(tmp_path, monkeypatch):
    root = copy_feature_repo(tmp_path / "repo", project=f"t{os.getpid()}blk")
    monkeypatch.chdir(root)
    history = clean_bars(SYMBOLS, 120)
    cut = history["event_timestamp"].sort_values().unique()[99]
    old, new = history[history["event_timestamp"] <= cut], history[history["event_timestamp"] > cut]
    jobs.ingest_frame(root, old, source="synthetic", origin="<old>")
    jobs.transform(root, workers=1)
    jobs.apply(root)
    jobs.materialize(root, NOW - timedelta(days=400), NOW)
    paths = RepoPaths(root)
    lake, offline, online = _digest(paths.bars), _digest(paths.offline), _online(root)

    bad = new.copy()
    bad.loc[bad.index[5], "high"] = bad.loc[bad.index[5], "low"] * 0.9
    options = QualityOptions(severities={"high_is_max": "block"}, now=NOW)
    with pytest.raises(BatchBlocked, match=r"high_is_max.*<new>:6"):
        jobs.ingest_frame(root, bad, source="synthetic", origin="<new>", quality=options)
    jobs.transform(root, workers=1)
    jobs.materialize(root, NOW - timedelta(days=400), NOW)

    assert _digest(paths.bars) == lake
    assert _digest(paths.offline) == offline
    pd.testing.assert_frame_equal(_online(root), online)
    # the same batch, once clean, does reach every store
    jobs.ingest_frame(root, new, source="synthetic", origin="<new>", quality=options)
    jobs.transform(root, workers=1)
    jobs.materialize(root, NOW - timedelta(days=400), NOW)
    assert _digest(paths.offline) != offline
    assert not _online(root).equals(online)
