"""Outlier detectors: each finds what was injected, at its row, and nothing on clean bars."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from axiom_features.quality.outliers import (
    DETECTORS,
    FINDING_COLUMNS,
    calendar_gaps,
    return_outliers,
    reverting_spikes,
    stale_prices,
    volume_anomalies,
    zero_volume_runs,
)
from tests.quality_helpers import clean_bars

PRICES = ["open", "high", "low", "close"]


@pytest.fixture(scope="module")
def clean() -> pd.DataFrame:
    return clean_bars(10, 500, seed=5)


@pytest.mark.parametrize("name", ["reverting_spike", "stale_price", "zero_volume_run",
                                  "calendar_gap", "volume_anomaly"])  # fmt: skip
def test_clean_bars_raise_no_findings(clean, name):
    assert DETECTORS[name](clean).empty


def test_findings_name_row_symbol_time_value_and_threshold(clean):
    bars = clean.copy()
    bars.loc[100, PRICES] *= 1.5
    found = reverting_spikes(bars)
    assert tuple(found.columns) == FINDING_COLUMNS
    row = found.iloc[0]
    assert (row["row"], row["symbol"], row["event_timestamp"]) == (
        100,
        bars.loc[100, "symbol"],
        bars.loc[100, "event_timestamp"],
    )
    assert row["value"] > row["threshold"] == 8.5


def test_a_spike_that_reverts_is_found_and_a_lasting_jump_is_not(clean):
    bars = clean.copy()
    bars.loc[100, PRICES] *= 0.6  # spike down and back
    bars.loc[300:499, PRICES] *= 1.4  # a level shift that stays

    assert reverting_spikes(bars)["row"].tolist() == [100]
    assert {100, 101, 300} <= set(return_outliers(bars)["row"])


def test_a_jump_that_persists_after_a_partial_retrace_is_not_a_spike(clean):
    bars = clean.copy()  # a rate decision: +30%, half of it given back, the rest stays
    bars.loc[200, PRICES] *= 1.30
    bars.loc[201:499, PRICES] *= 1.15

    assert 200 not in set(reverting_spikes(bars)["row"])
    assert 200 in set(return_outliers(bars)["row"])  # still a warning


def test_spikes_are_found_in_shuffled_rows(clean):
    bars = clean.copy()
    bars.loc[[50, 777], PRICES] *= 1.3  # bar 49 is a genuine large move: not a spike
    shuffled = bars.sample(frac=1.0, random_state=1).reset_index(drop=True)
    found = reverting_spikes(shuffled)["row"]
    assert sorted(shuffled.index[found]) == sorted(
        shuffled.index[shuffled["close"].isin(bars.loc[[50, 777], "close"])]
    )


def test_a_run_of_repeated_closes_is_stale_but_one_repeat_is_not(clean):
    bars = clean.copy()
    bars.loc[201:204, PRICES] = bars.loc[200, "close"]  # four flat bars at the last close
    bars.loc[401, "close"] = bars.loc[400, "close"]
    bars.loc[401, "high"] = bars.loc[401, ["open", "close", "high"]].max()
    bars.loc[401, "low"] = bars.loc[401, ["open", "close", "low"]].min()

    assert stale_prices(bars)["row"].tolist() == [201, 202, 203, 204]


def test_zero_volume_runs_of_three_or_more(clean):
    bars = clean.copy()
    bars.loc[10:12, "volume"] = 0.0
    bars.loc[50, "volume"] = 0.0
    assert zero_volume_runs(bars)["row"].tolist() == [10, 11, 12]


def test_missing_sessions_are_reported_on_the_bar_after_the_gap(clean):
    bars = clean.drop(index=[20, 21, 22]).reset_index(drop=True)
    found = calendar_gaps(bars)
    assert found["row"].tolist() == [20] and found["value"].tolist() == [3.0]


def test_a_volume_burst_is_an_anomaly(clean):
    bars = clean.copy()
    bars.loc[333, "volume"] *= 500
    assert volume_anomalies(bars)["row"].tolist() == [333]


def test_a_short_series_is_not_judged():
    bars = clean_bars(1, 10)
    bars.loc[5, PRICES] *= 2.0
    assert reverting_spikes(bars).empty and return_outliers(bars).empty


def test_series_are_per_symbol_and_source(clean):
    one = clean[clean["symbol"] == clean["symbol"].iloc[0]]
    two = pd.concat([one, one.assign(source="other")], ignore_index=True)
    assert stale_prices(two).empty
    flat = one.copy()
    flat[PRICES] = np.round(flat["close"].iloc[0], 2)
    assert len(stale_prices(flat)) == len(flat) - 1
