"""Labels in Feast: a LabelView per label set, joined point-in-time by
``get_historical_features`` and never visible before the label's end ``t1``; training sets
pinned to a label version; ``apply`` keeps the label views."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from axiom_features.feature_store import open_store
from axiom_features.labeling.barriers import Barriers
from axiom_features.labeling.events import item_id
from axiom_features.labeling.feast_labels import label_refs, register_label_view
from axiom_features.labeling.training import training_set
from axiom_features.labeling.versions import load_version
from axiom_features.labeling.workflow import generate_labels
from axiom_features.pipeline import jobs
from axiom_features.synthetic.bars import generate_bars
from tests.conftest import copy_feature_repo

NOW = datetime(2026, 6, 30, 22, 0, tzinfo=UTC)
FEATURE = "regime:regime_trend_slope_sma50"


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cwd = os.getcwd()
    root = copy_feature_repo(tmp_path_factory.mktemp("labels"), project=f"l{uuid.uuid4().hex[:8]}")
    try:
        bars = generate_bars(["AAA", "BBB"], 320, seed=3, end=NOW)
        jobs.ingest_frame(root, bars, source="synthetic", origin="<test>")
        jobs.transform(root, views=["regime"], workers=1)
        jobs.apply(root)
        generate_labels(root, "tb", "triple_barrier", Barriers(1, 1, 10))
        register_label_view(open_store(root), "tb")
    finally:
        os.chdir(cwd)
    return root


def _labels(root: Path) -> pd.DataFrame:
    version = next((root / "data" / "labels" / "versions").glob("*.parquet")).stem
    return load_version(root, version)


def test_a_label_is_invisible_before_its_end_and_visible_from_it(repo: Path) -> None:
    store = open_store(repo)
    label = _labels(repo).iloc[300]
    item = item_id(label["symbol"], label["t0"])
    times = [label["t0"], label["t1"] - timedelta(microseconds=1), label["t1"]]
    rows = pd.DataFrame({"symbol": label["symbol"], "label_item": item, "event_timestamp": times})
    frame = store.get_historical_features(rows, [FEATURE, *label_refs("tb")]).to_df()
    frame = frame.sort_values("event_timestamp").reset_index(drop=True)
    assert frame["label"].isna().tolist() == [True, True, False]
    assert frame.loc[2, "label"] == label["label"]
    assert pd.Timestamp(frame.loc[2, "label_t0"]) == pd.Timestamp(label["t0"])
    assert frame.loc[2, "labeler"] == "triple_barrier"


def test_no_label_is_ever_joined_before_its_end(repo: Path) -> None:
    store = open_store(repo)
    labels = _labels(repo).sample(60, random_state=0)
    items = [item_id(s, t) for s, t in zip(labels["symbol"], labels["t0"], strict=True)]
    before = (
        pd.to_datetime(labels["t0"], utc=True)
        + (pd.to_datetime(labels["t1"], utc=True) - pd.to_datetime(labels["t0"], utc=True)) * 0.5
    )
    rows = pd.DataFrame({"label_item": items, "event_timestamp": before.dt.floor("us").values})
    frame = store.get_historical_features(rows, label_refs("tb")).to_df()
    assert frame["label"].isna().all()


def test_training_set_has_features_at_t0_and_only_labels_known_at_the_cutoff(repo: Path) -> None:
    store = open_store(repo)
    labels = _labels(repo)
    cutoff = pd.to_datetime(labels["t1"], utc=True).quantile(0.5)
    frame = training_set(store, labels, [FEATURE], cutoff)
    assert len(frame) == int((pd.to_datetime(labels["t1"], utc=True) <= cutoff).sum())
    assert (pd.to_datetime(frame["t1"], utc=True) <= cutoff).all()
    assert (pd.to_datetime(frame["event_timestamp"], utc=True)
            == pd.to_datetime(frame["t0"], utc=True)).all()  # fmt: skip
    offline = pd.concat(
        pd.read_parquet(p) for p in (repo / "data/offline/regime").glob("*.parquet")
    )
    offline["event_timestamp"] = pd.to_datetime(offline["event_timestamp"], utc=True)
    expected = frame[["symbol", "t0"]].merge(
        offline, left_on=["symbol", "t0"], right_on=["symbol", "event_timestamp"], how="left"
    )["regime_trend_slope_sma50"]
    got = frame["regime_trend_slope_sma50"]
    assert got.notna().sum() > 100
    assert ((got == expected.to_numpy()) | (got.isna() & expected.isna().to_numpy())).all()


def test_apply_keeps_the_label_views(repo: Path) -> None:
    cwd = os.getcwd()
    try:
        jobs.apply(repo)
        assert [v.name for v in open_store(repo).list_label_views()] == ["tb"]
    finally:
        os.chdir(cwd)


def test_active_learning_scores_unlabelled_items_from_historical_features(repo: Path) -> None:
    from axiom_features.labeling.training import active_scores

    labels = _labels(repo)
    labels = labels[labels["symbol"] == "AAA"].iloc[100:160]
    items = [item_id(s, t) for s, t in zip(labels["symbol"], labels["t0"], strict=True)]
    done = pd.DataFrame({"item": items[:30], "value": labels["label"].iloc[:30].to_numpy()})
    scores = active_scores(open_store(repo), items, done, [FEATURE], "margin")
    assert set(scores) == set(items[30:])
    assert all(0.0 <= s <= 1.0 for s in scores.values())
