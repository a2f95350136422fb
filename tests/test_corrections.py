"""A corrected bar (stored key, new values) is never dropped: held, replaced or kept."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from axiom_features.ingest import QualityOptions, import_frame
from axiom_features.lakes.bars import BarLake
from axiom_features.lakes.history import read_history, recompute_marks
from axiom_features.paths import RepoPaths
from axiom_features.pipeline.transform_job import run_transform_job
from axiom_features.quality.quarantine import read_quarantine
from axiom_features.quality.store import findings_path
from axiom_features.synthetic.bars import generate_bars

NOW = datetime(2026, 6, 30, 22, 0, tzinfo=UTC)


@pytest.fixture
def stored(tmp_path):
    """A lake holding 30 bars of AAA, and a correction of the 20th bar's close."""
    repo = RepoPaths(tmp_path)
    bars = generate_bars(["AAA"], 30, seed=2, end=NOW)
    import_frame(bars, repo, run_id="r0", source="vendor")
    corrected = bars.iloc[[19]].copy()
    corrected["close"] = corrected["close"] * 1.01
    corrected["high"] = corrected[["high", "close"]].max(axis=1)
    corrected["created_timestamp"] = pd.Timestamp("2026-07-01", tz="UTC")
    return repo, bars, corrected


def _import(repo, corrected, policy=None):
    quality = QualityOptions(on_conflict=policy) if policy else None
    return import_frame(corrected, repo, run_id="r1", source="vendor", quality=quality)


def test_by_default_a_correction_is_held_with_a_finding_naming_both_values(stored):
    repo, bars, corrected = stored

    result = _import(repo, corrected)

    assert result.corrections == 1 and result.quarantined == 1 and result.accepted == 0
    assert read_quarantine(repo, "r1")["failed_rules"].tolist() == ["correction"]
    finding = pd.read_parquet(findings_path(repo, "r1")).iloc[0]
    old, new = bars["close"].iloc[19], corrected["close"].iloc[0]
    assert finding["detector"] == "correction"
    assert f"close {old:g} stored, {new:g} offered" in finding["detail"]
    assert BarLake(repo).read_symbol("AAA")["close"].iloc[19] == old


def test_replace_stores_the_correction_and_keeps_the_old_version_in_the_history(stored):
    repo, bars, corrected = stored

    result = _import(repo, corrected, "replace")

    assert result.corrections == 1 and result.replaced == 1 and result.quarantined == 0
    lake = BarLake(repo).read_symbol("AAA")
    assert len(lake) == 30 and lake["close"].iloc[19] == corrected["close"].iloc[0]
    history = read_history(repo, "AAA")
    assert history["close"].tolist() == [bars["close"].iloc[19]]
    assert history["replaced_by"].tolist() == ["r1"]
    assert (history["created_timestamp"] < history["replaced_at"]).all()
    assert recompute_marks(repo) == {"AAA": bars["event_timestamp"].iloc[19].isoformat()}


def test_a_full_transform_clears_the_recompute_mark(stored):
    repo, _, corrected = stored
    _import(repo, corrected, "replace")

    run_transform_job(repo)

    assert recompute_marks(repo) == {}


def test_keep_leaves_the_stored_bar_and_still_counts_the_correction(stored):
    repo, bars, corrected = stored

    result = _import(repo, corrected, "keep")

    assert result.corrections == 1 and result.conflicts == 1 and result.quarantined == 0
    assert BarLake(repo).read_symbol("AAA")["close"].iloc[19] == bars["close"].iloc[19]


def test_an_unknown_policy_names_the_key():
    with pytest.raises(ValueError, match="on_conflict"):
        QualityOptions(on_conflict="merge")
