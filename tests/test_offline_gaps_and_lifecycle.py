"""A deleted offline file is noticed by materialize and health; a view left in Feast's
``MATERIALIZING`` state is reported by health with the command that clears it, and the next
materialization clears it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from feast.feature_view import FeatureViewState

from axiom_features.feature_store import open_store
from axiom_features.ops.health import check_health
from axiom_features.pipeline import jobs
from axiom_features.synthetic.bars import generate_bars

END = datetime(2026, 6, 12, 20, 0, tzinfo=UTC)


@pytest.fixture
def repo(feature_repo: Path) -> Path:
    bars = generate_bars(["AXM", "BLQ"], 40, seed=3, end=END)
    jobs.ingest_frame(feature_repo, bars, source="synthetic", origin="<test>")
    jobs.transform(feature_repo, views=["ta_cycle"])
    jobs.apply(feature_repo)
    return feature_repo


def _checks(root: Path, kind: str) -> dict[str, object]:
    report = check_health(root, now=END + timedelta(hours=1))
    return {c.name: c for c in report.checks if c.kind == kind}


def test_a_deleted_offline_file_is_noticed_by_materialize_and_health(repo: Path) -> None:
    (repo / "data" / "offline" / "ta_cycle" / "AXM.parquet").unlink()
    result = jobs.materialize(repo, END - timedelta(days=90), END, views=["ta_cycle"])
    assert len(result.warnings) == 1
    assert "ta_cycle: no offline file for 1 lake symbol(s) (AXM)" in result.warnings[0]
    offline = _checks(repo, "offline")["ta_cycle"]
    assert offline.status == "warn" and "(AXM)" in offline.detail
    runs = _checks(repo, "runs")["materialize"]
    assert runs.status == "warn" and "AXM" in runs.detail


def test_a_stale_materializing_state_is_reported_then_cleared(repo: Path) -> None:
    jobs.materialize(repo, END - timedelta(days=90), END, views=["ta_cycle"])
    store = open_store(repo)
    view = store.registry.get_feature_view("ta_cycle", store.project)
    view.state = FeatureViewState.MATERIALIZING  # what a killed materialization leaves
    store.registry.apply_feature_view(view, store.project, commit=True)

    stuck = _checks(repo, "lifecycle")["ta_cycle"]
    assert stuck.status == "critical"
    assert "run `axiom materialize --views ta_cycle`" in stuck.detail

    result = jobs.materialize(repo, END - timedelta(days=90), END, views=["ta_cycle"])
    assert result.cleared_states == ["ta_cycle"]
    assert "ta_cycle" not in _checks(repo, "lifecycle")
    store = open_store(repo)
    rows = store.get_online_features(["ta_cycle:" + view.features[0].name],
                                     [{"symbol": "AXM"}]).to_dict()  # fmt: skip
    assert rows["symbol"] == ["AXM"]
