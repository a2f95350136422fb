"""TA-Lib features: equal to direct TA-Lib calls, causal, and NaN exactly during warm-up."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import talib
from talib import abstract

from transforms.catalogue import catalogue
from transforms.compute import compute_all, compute_view
from transforms.specs import FeatureSpec

DAYS = 400
SEEDS = (1, 2, 3)
FEATURES = tuple(f for f in catalogue().features if f.transform == "talib")


def synthetic_bars(seed: int, days: int = DAYS) -> pd.DataFrame:
    """One symbol's daily bars: geometric Brownian close, open near the last close."""
    rng = np.random.default_rng(seed)
    close = 50.0 * np.exp(np.cumsum(rng.normal(0.0003, 0.02, days)))
    open_ = np.r_[close[0], close[:-1]] * np.exp(rng.normal(0.0, 0.005, days))
    high = np.maximum(open_, close) * np.exp(np.abs(rng.normal(0.0, 0.01, days)))
    low = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0.0, 0.01, days)))
    return pd.DataFrame(
        {
            "event_timestamp": pd.date_range("2020-01-01", periods=days, freq="B", tz="UTC"),
            "open": open_,
            "high": high,
            "low": low,
            "close": close,
            "volume": rng.lognormal(13.0, 0.5, days),
        }
    )


@pytest.fixture(scope="module")
def bars() -> list[pd.DataFrame]:
    return [synthetic_bars(seed) for seed in SEEDS]


@pytest.fixture(scope="module")
def computed(bars: list[pd.DataFrame]) -> list[pd.DataFrame]:
    return [compute_all(b) for b in bars]


def _direct_talib(feature: FeatureSpec, bars: pd.DataFrame) -> np.ndarray:
    """The feature computed by hand: one TA-Lib call, then the feature's documented steps."""
    columns = {c: bars[c].to_numpy(np.float64) for c in ("open", "high", "low", "close", "volume")}
    ratio = talib.ER(columns["close"], timeperiod=10)
    columns["er_periods"] = np.where(np.isnan(ratio), 30.0, 30.0 - ratio * 28.0)
    result = getattr(talib, feature.function)(
        *[columns[name] for name in feature.inputs], **feature.parameters
    )
    outputs = abstract.Function(feature.function).info["output_names"]
    raw = result[outputs.index(feature.output)] if isinstance(result, tuple) else result
    values = np.asarray(raw, dtype=np.float64)
    if feature.post == "bars_since":
        values = np.arange(len(values)) - values
    return values


@pytest.mark.parametrize("feature", FEATURES, ids=lambda f: f.name)
def test_every_column_equals_a_direct_talib_call(feature, bars, computed):
    for frame, result in zip(bars, computed, strict=True):
        expected = _direct_talib(feature, frame)[feature.warmup :]
        np.testing.assert_array_equal(result[feature.name].to_numpy()[feature.warmup :], expected)


def test_warmup_rows_are_nan_and_match_the_catalogue(computed):
    for result in computed:
        for feature in FEATURES:
            missing = np.isnan(result[feature.name].to_numpy())
            leading = int(np.argmin(missing)) if not missing.all() else len(missing)
            assert leading == feature.warmup, feature.name
            assert not missing[leading:].any(), f"{feature.name}: NaN after warm-up"


def test_warmup_is_talibs_lookback_for_the_parameters_used():
    for feature in FEATURES:
        lookback = abstract.Function(feature.function, **feature.parameters).lookback
        assert feature.warmup == lookback, feature.name


@pytest.mark.parametrize("cut", [1, 40, 150, 299, DAYS - 1])
def test_no_feature_looks_ahead(cut, bars, computed):
    """Removing the rows after t changes no value at or before t."""
    for frame, full in zip(bars, computed, strict=True):
        truncated = compute_all(frame.iloc[:cut])
        pd.testing.assert_frame_equal(truncated, full.iloc[:cut], check_exact=True)


def test_future_rows_do_not_change_the_past(bars, computed):
    """Replacing every row after t with other bars changes no value at or before t."""
    t = 250
    spliced = pd.concat([bars[0].iloc[:t], bars[1].iloc[t:]])
    pd.testing.assert_frame_equal(
        compute_all(spliced).iloc[:t], computed[0].iloc[:t], check_exact=True
    )


def test_output_keeps_rows_order_and_index(bars):
    frame = bars[0].set_index(pd.RangeIndex(1000, 1000 + DAYS))
    view = catalogue().view("ta_overlap")
    result = compute_view(view, frame)
    assert list(result.columns) == view.feature_names
    assert result.index.equals(frame.index)
    assert (result.dtypes == np.float64).all()


def test_empty_and_short_histories_are_all_nan(bars):
    assert len(compute_all(bars[0].iloc[:0])) == 0
    short = compute_all(bars[0].iloc[:3])
    long_warmup = [f.name for f in FEATURES if f.warmup >= 3]
    assert short[long_warmup].isna().all().all()
