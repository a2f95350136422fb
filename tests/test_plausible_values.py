"""Prices and volumes are finite and plausible; the transform reports any infinity it writes."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from axiom_features.ingest import import_frame
from axiom_features.lakes.bars import BarLake
from axiom_features.paths import RepoPaths
from axiom_features.pipeline import jobs
from axiom_features.pipeline.runs import RunLog
from axiom_features.quality.quarantine import read_quarantine
from axiom_features.synthetic.bars import generate_bars

NOW = datetime(2026, 6, 30, 22, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("column", "value"),
    [("high", math.inf), ("close", 1e308), ("low", -math.inf), ("volume", math.inf)],
)
def test_an_infinite_or_absurd_value_is_quarantined_by_a_named_rule(tmp_path, column, value):
    bars = generate_bars(["AAA"], 30, seed=1, end=NOW)
    bars.loc[10, column] = value
    if column == "close":
        bars.loc[10, "high"] = value

    result = import_frame(bars, RepoPaths(tmp_path), run_id="r1", source="synthetic")

    held = read_quarantine(RepoPaths(tmp_path))
    assert result.quarantined == 1 and result.accepted == 29
    assert "plausible_values" in held["failed_rules"].iloc[0].split(";")
    assert len(BarLake(RepoPaths(tmp_path)).read_symbol("AAA")) == 29


def test_the_transform_reports_infinite_values_it_writes(feature_repo):
    bars = generate_bars(["AAA"], 60, seed=1, end=NOW)
    bars.loc[40, "high"] = math.inf  # a lake written before the rule existed
    BarLake(RepoPaths(feature_repo)).upsert(bars)

    result = jobs.transform(feature_repo, views=["ta_price_transform"])

    assert result.non_finite["ta_price_transform"] > 0
    record = RunLog(RepoPaths(feature_repo).runs).list("transform")[-1]
    assert any("ta_price_transform" in w and "infinite" in w for w in record.warnings)
