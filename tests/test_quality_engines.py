"""The DuckDB engine reaches exactly GX's verdicts: per check, success and failing rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from axiom_features.quality import GateContext, validate_bars
from axiom_features.quality.checks import run_checks
from axiom_features.quality.rules import Check
from tests.quality_helpers import NOW, clean_bars

CHECKS = [
    Check("ExpectColumnValuesToNotBeNull", {"column": "a"}),
    Check("ExpectColumnValuesToNotBeNull", {"column": "s"}),
    Check("ExpectColumnValuesToBeBetween", {"column": "a", "min_value": 0, "max_value": 1}),
    Check("ExpectColumnValuesToBeBetween", {"column": "a", "min_value": 0, "strict_min": True}),
    Check("ExpectColumnValuesToBeBetween", {"column": "b", "max_value": 0.5, "strict_max": True}),
    Check("ExpectColumnValuesToBeInSet", {"column": "s", "value_set": ["x", "y"]}),
    Check("ExpectColumnValuesToBeInSet", {"column": "f", "value_set": [False]}),
    Check("ExpectColumnPairValuesAToBeGreaterThanB", {"column_A": "a", "column_B": "b"}),
    Check(
        "ExpectColumnPairValuesAToBeGreaterThanB",
        {
            "column_A": "a",
            "column_B": "b",
            "or_equal": True,
            "ignore_row_if": "either_value_is_missing",
        },
    ),
    Check("ExpectCompoundColumnsToBeUnique", {"column_list": ["s", "k"]}),
    Check(
        "ExpectCompoundColumnsToBeUnique",
        {"column_list": ["s", "k"], "ignore_row_if": "any_value_is_missing"},
    ),
    Check("ExpectColumnToExist", {"column": "a"}),
    Check("ExpectColumnToExist", {"column": "zzz"}),
]

STRINGS = ["object", "str", "string"]
TYPE_CHECKS = [
    Check("ExpectColumnTypeToBe", {"column": "a", "type_": "float64"}),
    Check("ExpectColumnTypeToBe", {"column": "k", "type_": "float64"}),
    Check("ExpectColumnTypeToBe", {"column": "t", "type_": "datetime64[us, UTC]"}),
    Check("ExpectColumnTypeToBe", {"column": "t", "type_": "datetime64[ns, UTC]"}),
    Check("ExpectColumnTypeToBe", {"column": "s", "type_": "object"}),
    Check("ExpectColumnValuesToBeInTypeList", {"column": "s", "type_list": STRINGS}),
    Check("ExpectColumnValuesToBeInTypeList", {"column": "o", "type_list": STRINGS}),
    Check("ExpectColumnValuesToBeInTypeList", {"column": "a", "type_list": STRINGS}),
    Check("ExpectColumnValuesToBeInTypeList", {"column": "a", "type_list": ["float64"]}),
    Check("ExpectColumnValuesToBeInTypeList", {"column": "k", "type_list": ["int", "float"]}),
]


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 2_000
    a = rng.uniform(-0.2, 1.2, n)
    a[rng.choice(n, 40, replace=False)] = np.nan
    a[rng.choice(n, 5, replace=False)] = np.inf
    a[rng.choice(n, 5, replace=False)] = 0.0
    b = rng.uniform(0, 1, n)
    b[rng.choice(n, 40, replace=False)] = np.nan
    b[:20] = a[:20]  # ties
    s = rng.choice(np.array(["x", "y", "z", None], dtype=object), n, p=[0.45, 0.45, 0.05, 0.05])
    mixed = s.copy()
    mixed[rng.choice(n, 7, replace=False)] = 12  # numbers among strings
    mixed[rng.choice(n, 3, replace=False)] = 1.5
    stamps = pd.date_range("2024-01-01", periods=n, freq="h", tz="UTC").as_unit("us")
    return pd.DataFrame(
        {
            "a": a,
            "b": b,
            "s": s,
            "k": rng.integers(0, 300, n),
            "f": rng.random(n) < 0.01,
            "o": mixed,
            "t": stamps,
        }
    )


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.expectation + str(sorted(c.kwargs)))
def test_duckdb_and_gx_flag_the_same_rows(frame, check):
    gx = run_checks(frame, [check], engine="gx")[check.key]
    sql = run_checks(frame, [check], engine="duckdb")[check.key]
    assert gx.success == sql.success
    if gx.unexpected is None:
        assert sql.unexpected is None
    else:
        assert np.array_equal(np.sort(gx.unexpected), sql.unexpected)


@pytest.mark.parametrize("check", TYPE_CHECKS, ids=lambda c: c.key)
def test_type_checks_reach_gx_verdicts_without_gx(frame, check):
    gx = run_checks(frame, [check], engine="gx")[check.key]
    sql = run_checks(frame, [check], engine="duckdb")[check.key]
    assert (gx.success, gx.observed) == (sql.success, sql.observed)
    if gx.unexpected is None:
        assert sql.unexpected is None
    else:
        assert np.array_equal(np.sort(gx.unexpected), sql.unexpected)


def test_the_bar_gate_reaches_the_same_verdict_on_either_engine():
    bars = clean_bars(4, 300)
    bars.loc[10, "high"] = bars.loc[10, "low"] / 2
    bars.loc[20, "close"] = np.nan
    bars.loc[30:33, ["open", "high", "low", "close"]] = bars.loc[29, "close"]
    bars = pd.concat([bars, bars.iloc[[50]]], ignore_index=True)

    results = [
        validate_bars(bars, context=GateContext(now=pd.Timestamp(NOW), engine=engine))
        for engine in ("gx", "duckdb")
    ]

    gx, sql = results
    pd.testing.assert_frame_equal(gx.rejected, sql.rejected)
    pd.testing.assert_series_equal(gx.warnings, sql.warnings)
    assert gx.rule_counts == sql.rule_counts and len(gx.rejected) == 3
