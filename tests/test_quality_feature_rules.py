"""Feature-table suites from the catalogue: ranges hold on real TA-Lib output, faults block."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from axiom_features.quality.feature_rules import feature_bounds, feature_rules, validate_table
from tests.quality_helpers import clean_bars
from transforms.catalogue import catalogue
from transforms.compute import compute_all


@pytest.fixture(scope="module")
def features() -> pd.DataFrame:
    frames = [compute_all(clean_bars([s], 400, seed=3)) for s in ("AXM", "BLQ", "CRX")]
    return pd.concat(frames, ignore_index=True)


def test_every_catalogue_feature_has_a_rule():
    rules = feature_rules()
    assert len(rules) == len(catalogue().features)
    assert {r.name.split(":", 1)[1] for r in rules} == {f.name for f in catalogue().features}


def test_bounded_functions_have_their_ranges():
    assert feature_bounds("RSI") == (0.0, 100.0)
    assert feature_bounds("WILLR") == (-100.0, 0.0)
    assert feature_bounds("CDLENGULFING") == (-200.0, 200.0)
    assert feature_bounds("SMA") is None


@pytest.mark.parametrize("engine", ["gx", "duckdb"])
def test_ta_lib_output_of_clean_bars_passes(features, engine):
    verdict = validate_table(features, feature_rules(["ta_momentum", "ta_pattern"]), engine=engine)
    assert verdict.blocked_by == [] and not any(verdict.counts.values())


def test_a_value_outside_its_range_blocks_and_an_infinite_one_warns(features):
    bad = features.copy()
    bad.loc[[7, 500], "rsi_14"] = [150.0, -3.0]
    bad.loc[9, "sma_20"] = np.inf

    verdict = validate_table(bad, feature_rules(["ta_momentum", "ta_overlap"]))

    assert verdict.blocked_by == ["range:rsi_14"]
    assert verdict.failing_rows["range:rsi_14"].tolist() == [7, 500]
    assert verdict.failing_rows["finite:sma_20"].tolist() == [9]


def test_partitions_reach_the_same_rows_as_the_whole_table(features):
    bad = features.copy()
    bad.loc[[3, 401, 1199], "willr_14"] = 5.0
    rules = feature_rules(["ta_momentum"])
    whole = validate_table(bad, rules, engine="duckdb")
    parts = validate_table(bad, rules, engine="duckdb", partition_rows=250)
    assert {k: v.tolist() for k, v in whole.failing_rows.items()} == {
        k: v.tolist() for k, v in parts.failing_rows.items()
    }
