"""Every gate rule, failed by one row of a file: the rule's name, the row's line, the counts."""

from __future__ import annotations

from pathlib import Path

import pytest

from axiom_features.ingest import import_bars
from axiom_features.lakes.bars import BarLake
from axiom_features.paths import RepoPaths
from axiom_features.quality import ROW_RULES, read_quarantine

HEADER = "Date,Ticker,Open,High,Low,Close,Volume"
CLEAN = [
    "2024-01-02,AAA,10,11,9,10.5,1000",
    "2024-01-03,AAA,10.5,11.5,10,11,1200",
    "2024-01-04,AAA,11,12,10.5,11.5,900",
]

ALL_PRICES_NOT_POSITIVE = "positive:open;positive:high;positive:low;positive:close"

# (faulty row appended at line 5, its failed_rules)
CASES = {
    "not_null:symbol": ("2024-01-05,,10,11,9,10.5,1000", "not_null:symbol"),
    "not_null:event_timestamp": (",AAA,10,11,9,10.5,1000", "not_null:event_timestamp"),
    "not_null:open": ("2024-01-05,AAA,,11,9,10.5,1000", "not_null:open"),
    "not_null:high": ("2024-01-05,AAA,10,,9,10.5,1000", "not_null:high"),
    "not_null:low": ("2024-01-05,AAA,10,11,NaN,10.5,1000", "not_null:low"),
    "not_null:close": ("2024-01-05,AAA,10,11,9,,1000", "not_null:close"),
    "not_null:volume": ("2024-01-05,AAA,10,11,9,10.5,", "not_null:volume"),
    "positive:open": ("2024-01-05,AAA,0,11,-1,10.5,1000", "positive:open;positive:low"),
    "positive:high": ("2024-01-05,AAA,-3,-1,-5,-2,1000", ALL_PRICES_NOT_POSITIVE),
    "positive:low": ("2024-01-05,AAA,10,11,-9,10.5,1000", "positive:low"),
    "positive:close": ("2024-01-05,AAA,10,11,0,0,1000", "positive:low;positive:close"),
    "high_is_max": ("2024-01-05,AAA,10,10.2,9,10.5,1000", "high_is_max"),
    "low_is_min": ("2024-01-05,AAA,10,11,10.2,10.5,1000", "low_is_min"),
    "volume_non_negative": ("2024-01-05,AAA,10,11,9,10.5,-1", "volume_non_negative"),
    "unique_key": ("2024-01-03,AAA,10.5,11.5,10,11,1200", "unique_key"),
    "type:open": ("2024-01-05,AAA,n/a?,11,9,10.5,1000", "type:open"),
    "type:event_timestamp": ("2024-13-45,AAA,10,11,9,10.5,1000", "type:event_timestamp"),
    "field_count": ("2024-01-05,AAA,10,11,9,10.5", "field_count;not_null:volume"),
}


@pytest.fixture
def repo(tmp_path: Path) -> RepoPaths:
    return RepoPaths(tmp_path / "repo")


def _import(repo: RepoPaths, tmp_path: Path, rows: list[str]):
    path = tmp_path / "bars.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    return import_bars(path, repo, run_id="r")


@pytest.mark.parametrize("rule", list(CASES))
def test_a_row_failing_a_rule_is_quarantined_with_the_rule_and_its_line(repo, tmp_path, rule):
    row, failed_rules = CASES[rule]

    result = _import(repo, tmp_path, [*CLEAN, row])

    held = read_quarantine(repo)
    assert held[["source_line", "failed_rules"]].values.tolist() == [[5, failed_rules]]
    assert rule in failed_rules.split(";")
    assert (result.rows_in, result.accepted, result.quarantined) == (4, 3, 1)
    assert result.rule_counts == {name: 1 for name in failed_rules.split(";")}
    assert BarLake(repo).read().num_rows == 3


def test_every_row_rule_has_a_failing_example():
    assert {r.name for r in ROW_RULES} - {"unique_key_conflict"} <= set(CASES)


def test_rows_sharing_a_key_with_different_values_are_all_quarantined(repo, tmp_path):
    conflicting = "2024-01-03,AAA,10.5,11.5,10,11.2,1200"

    result = _import(repo, tmp_path, [*CLEAN, conflicting])

    held = read_quarantine(repo).sort_values("source_line")
    assert held[["source_line", "failed_rules"]].values.tolist() == [
        [3, "unique_key_conflict"],
        [5, "unique_key_conflict"],
    ]
    assert (result.rows_in, result.accepted, result.quarantined) == (4, 2, 2)
    assert result.rule_counts == {"unique_key_conflict": 2}


def test_a_row_failing_several_rules_counts_once_per_rule(repo, tmp_path):
    result = _import(repo, tmp_path, [*CLEAN, "2024-01-05,AAA,10,8,12,10.5,-4"])

    held = read_quarantine(repo)
    assert held["failed_rules"].tolist() == ["high_is_max;low_is_min;volume_non_negative"]
    assert result.quarantined == 1
    assert sum(result.rule_counts.values()) == 3
