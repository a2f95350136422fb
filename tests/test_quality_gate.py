"""validate_bars on in-memory frames: blocking schema rules, row verdicts, duplicates, speed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from axiom_features.calendar import session_closes
from axiom_features.contracts import BAR_SCHEMA
from axiom_features.quality import (
    BAR_RULES,
    ROW_RULES,
    SCHEMA_RULES,
    BatchBlocked,
    Check,
    Rule,
    Severity,
    validate_bars,
)


def _bars(n: int = 4) -> pd.DataFrame:
    stamps = session_closes(pd.Timestamp("2024-06-28 23:00", tz="UTC"), n).astype(
        "datetime64[us, UTC]"
    )
    return pd.DataFrame(
        {
            "symbol": ["AAA"] * n,
            "event_timestamp": stamps,
            "open": np.full(n, 10.0),
            "high": np.full(n, 11.0),
            "low": np.full(n, 9.0),
            "close": 10.0 + np.arange(n) % 7 / 10,
            "volume": np.full(n, 100.0),
            "created_timestamp": pd.Series([pd.Timestamp("2024-02-01", tz="UTC")] * n).astype(
                "datetime64[us, UTC]"
            ),
            "source": ["test"] * n,
        }
    )


def test_rule_names_are_unique_and_severities_as_designed():
    names = [r.name for r in BAR_RULES]
    assert len(names) == len(set(names))
    assert {r.severity for r in SCHEMA_RULES} == {Severity.BLOCK}
    assert {r.severity for r in ROW_RULES} == {Severity.QUARANTINE}
    assert {r.severity for r in BAR_RULES} == set(Severity)


def test_every_check_names_a_gx_expectation():
    import great_expectations.expectations as gxe

    for rule in BAR_RULES:
        for check in rule.checks:
            assert hasattr(gxe, check.expectation), (rule.name, check.expectation)


def test_a_clean_batch_is_accepted_whole_keeping_its_index():
    bars = _bars().set_axis([10, 20, 30, 40])

    result = validate_bars(bars)

    assert result.rejected.empty and result.rule_counts == {}
    assert result.accepted.index.tolist() == [10, 20, 30, 40]
    assert list(result.accepted.columns) == BAR_SCHEMA.names


def test_a_missing_price_fails_only_not_null():
    bars = _bars()
    bars.loc[1, "close"] = np.nan
    bars.loc[2, "high"] = np.nan

    result = validate_bars(bars)

    assert result.rejected["failed_rules"].to_dict() == {1: "not_null:close", 2: "not_null:high"}


def test_exact_copies_keep_the_first_and_quarantine_the_rest():
    bars = pd.concat([_bars(), _bars().iloc[[1, 1]]], ignore_index=True)

    result = validate_bars(bars)

    assert result.rejected["failed_rules"].to_dict() == {4: "unique_key", 5: "unique_key"}
    assert result.accepted.index.tolist() == [0, 1, 2, 3]


def test_copies_that_disagree_are_all_quarantined():
    variant = _bars().iloc[[1, 1]].assign(volume=[100.0, 999.0])
    bars = pd.concat([_bars(), variant], ignore_index=True)

    result = validate_bars(bars)

    assert result.rejected["failed_rules"].to_dict() == {
        1: "unique_key_conflict",
        4: "unique_key_conflict",
        5: "unique_key_conflict",
    }


def test_same_time_from_another_source_is_not_a_duplicate():
    bars = pd.concat([_bars(), _bars().assign(source="other")], ignore_index=True)
    assert validate_bars(bars).rejected.empty


def test_a_type_failure_found_before_the_gate_replaces_not_null_for_that_column():
    bars = _bars()
    bars.loc[2, "open"] = np.nan
    prior = pd.Series(["", "", "type:open", ""])

    result = validate_bars(bars, prior_failures=prior)

    assert result.rejected["failed_rules"].to_dict() == {2: "type:open"}
    assert result.rule_counts == {"type:open": 1}


def test_a_missing_contract_column_blocks_the_batch():
    with pytest.raises(BatchBlocked, match="schema_columns.*volume"):
        validate_bars(_bars().drop(columns="volume"), where="frame.csv")


@pytest.mark.parametrize(
    ("column", "value", "rule"),
    [
        ("open", "10.0", "schema_type:open"),
        ("event_timestamp", pd.Timestamp("2024-01-02"), "schema_type:event_timestamp"),
        ("symbol", 7, "schema_type:symbol"),
    ],
)
def test_a_column_of_the_wrong_type_blocks_the_batch(column, value, rule):
    bars = _bars()
    bars[column] = [value] * len(bars)

    with pytest.raises(BatchBlocked, match=f"frame.csv: batch blocked by {rule}"):
        validate_bars(bars, where="frame.csv")


def test_nanosecond_timestamps_are_not_the_contract():
    bars = _bars()
    bars["event_timestamp"] = bars["event_timestamp"].astype("datetime64[ns, UTC]")
    with pytest.raises(BatchBlocked, match="schema_type:event_timestamp"):
        validate_bars(bars)


def test_an_empty_batch_passes_with_nothing_in_it():
    result = validate_bars(_bars().iloc[:0])
    assert result.rows_in == 0 and result.rule_counts == {}


def test_a_warn_rule_counts_rows_but_keeps_them():
    quiet_volume = Rule(
        "low_volume",
        Severity.WARN,
        (Check("ExpectColumnValuesToBeBetween", {"column": "volume", "min_value": 500}),),
        "volume >= 500",
    )
    bars = _bars()
    bars.loc[0, "volume"] = 1000.0

    result = validate_bars(bars, rules=[*BAR_RULES, quiet_volume])

    assert len(result.accepted) == 4 and result.rejected.empty
    assert result.rule_counts == {"low_volume": 3}


def test_a_hundred_thousand_rows_get_one_verdict_per_row():
    validate_bars(_bars())  # first use pays the GX import
    bars = pd.concat(
        [_bars(2_000).assign(symbol=f"S{i:03d}") for i in range(50)], ignore_index=True
    )
    bars["close"] = np.random.default_rng(0).uniform(9.0, 11.0, len(bars))
    bars.loc[5, "close"] = np.nan

    result = validate_bars(bars)

    assert len(bars) == 100_000
    assert (len(result.accepted), len(result.rejected)) == (99_999, 1)
