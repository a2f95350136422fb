"""The feature catalogue: complete, uniquely named, versioned, serialisable."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta

import pytest
import talib
from talib import abstract

from transforms.catalogue import Catalogue, catalogue
from transforms.specs import FeatureSpec, ViewSpec
from transforms.talib_features import GROUP_VIEWS, SKIPPED

VIEWS = {
    "ta_overlap", "ta_momentum", "ta_volatility", "ta_volume", "ta_cycle", "ta_statistic",
    "ta_price_transform", "ta_math", "ta_pattern",
}  # fmt: skip


def test_has_at_least_200_technical_columns():
    assert len(catalogue().features) >= 200


def test_one_view_per_talib_group():
    ta_views = {name for name in catalogue().views if catalogue().family_of(name) == "talib"}
    assert ta_views == VIEWS
    assert set(GROUP_VIEWS) == set(talib.get_function_groups())


def test_feature_names_are_unique_lowercase_identifiers():
    names = [f.name for f in catalogue().features]
    assert len(names) == len(set(names))
    assert all(name.isidentifier() and name == name.lower() for name in names)


def test_every_output_of_every_talib_function_is_covered_except_the_documented_skips():
    covered = {(f.function, f.output) for f in catalogue().features}
    for group, functions in talib.get_function_groups().items():
        for function in functions:
            if function in SKIPPED:
                assert group == "Math Transform"
                continue
            for output in abstract.Function(function).info["output_names"]:
                assert (function, output) in covered, (group, function, output)


def test_all_61_candlestick_patterns_are_in_the_pattern_view():
    patterns = {f.function for f in catalogue().view("ta_pattern").features}
    assert patterns == set(talib.get_function_groups()["Pattern Recognition"])
    assert len(patterns) == 61


def test_parameter_grids():
    names = {f.name for f in catalogue().features}
    for family, windows in {
        "sma": (5, 10, 20, 50, 200),
        "ema": (5, 10, 20, 50, 200),
        "rsi": (7, 14, 21),
        "atr": (7, 14, 21),
    }.items():
        assert {f"{family}_{n}" for n in windows} <= names


def test_multi_output_functions_give_one_feature_per_output():
    names = {f.name for f in catalogue().features}
    assert {"macd_12_26_9", "macd_12_26_9_signal", "macd_12_26_9_hist"} <= names
    assert {f"bbands_20_{band}band" for band in ("upper", "middle", "lower")} <= names
    assert {"stoch_5_3_3_slowk", "stoch_5_3_3_slowd"} <= names


def test_all_outputs_are_float64():
    assert {f.dtype for f in catalogue().features} == {"float64"}


def test_view_version_is_a_short_stable_hash():
    view = catalogue().view("ta_overlap")
    assert len(view.version) == 10 and int(view.version, 16) >= 0
    rebuilt = ViewSpec(view.name, view.description, tuple(reversed(view.features)), view.ttl)
    assert rebuilt.version == view.version


def test_view_version_changes_when_a_parameter_changes():
    view = catalogue().view("ta_overlap")
    sma = next(f for f in view.features if f.name == "sma_20")
    changed = dataclasses.replace(sma, parameters={"timeperiod": 21})
    features = tuple(changed if f is sma else f for f in view.features)
    assert dataclasses.replace(view, features=features).version != view.version


def test_view_version_changes_with_the_transform_version():
    view = catalogue().view("ta_cycle")
    features = tuple(dataclasses.replace(f, version="talib-9.9.9.r1") for f in view.features)
    assert dataclasses.replace(view, features=features).version != view.version


def test_view_version_ignores_the_ttl():
    view = catalogue().view("ta_cycle")
    assert dataclasses.replace(view, ttl=timedelta(days=1)).version == view.version


def test_to_records_is_json_serialisable():
    records = catalogue().to_records()
    assert len(records) == len(catalogue().features)
    decoded = json.loads(json.dumps(records))
    required = {
        "view",
        "name",
        "dtype",
        "transform",
        "function",
        "parameters",
        "version",
        "warmup",
        "description",
    }
    assert all(required <= set(record) for record in decoded)
    sma = next(r for r in decoded if r["name"] == "sma_200")
    assert sma["parameters"] == {"timeperiod": 200} and sma["warmup"] == 199


def _feature(name: str, view: str = "v") -> FeatureSpec:
    return FeatureSpec(
        name, view, "SMA", ("close",), {"timeperiod": 5}, "real", "float64", "talib-test", "test", 4
    )


def test_duplicate_feature_names_across_views_are_rejected():
    with pytest.raises(ValueError, match="both"):
        Catalogue.of(
            [ViewSpec("a", "", (_feature("x", "a"),)), ViewSpec("b", "", (_feature("x", "b"),))]
        )


@pytest.mark.parametrize("name", ["SMA_20", "20_sma", "sma-20", "close", ""])
def test_invalid_or_reserved_feature_names_are_rejected(name):
    with pytest.raises(ValueError):
        _feature(name)


def test_unknown_view_names_the_known_ones():
    with pytest.raises(KeyError, match="ta_overlap"):
        catalogue().view("nope")
