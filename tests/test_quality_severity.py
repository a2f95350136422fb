"""Severities: block stops the batch naming rule, file and lines; warn keeps rows; verdicts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from axiom_features.ingest import QualityOptions, import_bars
from axiom_features.lakes.bars import BarLake
from axiom_features.paths import RepoPaths
from axiom_features.quality import BAR_RULES, BatchBlocked, Severity, read_quarantine
from axiom_features.quality.store import read_verdict

FAULTY = Path(__file__).parent / "data" / "bars_with_faults.csv"


@pytest.fixture
def repo(tmp_path: Path) -> RepoPaths:
    return RepoPaths(tmp_path / "repo")


def test_every_rule_has_a_severity_and_a_description():
    for rule in BAR_RULES:
        assert isinstance(rule.severity, Severity) and rule.description, rule.name


def test_a_block_rule_names_rule_file_and_lines_and_writes_nothing(repo):
    options = QualityOptions(severities={"high_is_max": "block"})

    with pytest.raises(BatchBlocked) as caught:
        import_bars(FAULTY, repo, run_id="r1", quality=options)

    message = str(caught.value)
    assert "\n" not in message
    assert "high_is_max" in message and f"{FAULTY}:6" in message
    assert caught.value.rule == "high_is_max" and caught.value.locations == [f"{FAULTY}:6"]
    assert BarLake(repo).symbols() == [] and read_quarantine(repo).empty
    verdict = read_verdict(repo, "r1")
    assert verdict["status"] == "blocked"
    assert verdict["blocked"]["rule"] == "high_is_max"
    assert verdict["blocked"]["locations"] == [f"{FAULTY}:6"]


def test_a_rule_turned_to_warn_keeps_its_rows_and_counts_them(repo):
    options = QualityOptions(severities={"high_is_max": "warn", "low_is_min": "warn"})

    result = import_bars(FAULTY, repo, run_id="r", quality=options)

    assert (result.rows_in, result.accepted, result.quarantined) == (8, 6, 2)
    assert result.warned == 1
    assert result.rule_counts["high_is_max"] == 1
    assert "high_is_max" not in ";".join(read_quarantine(repo)["failed_rules"])


def test_schema_rules_can_only_block():
    with pytest.raises(ValueError, match="whole batch"):
        QualityOptions(severities={"schema_columns": "warn"}).rules()


def test_an_unknown_rule_name_is_refused():
    with pytest.raises(ValueError, match="no_such_rule"):
        QualityOptions(severities={"no_such_rule": "block"}).rules()


def test_a_passed_run_records_counts_and_examples_with_file_and_line(repo):
    import_bars(FAULTY, repo, run_id="r")

    verdict = read_verdict(repo, "r")
    assert verdict["status"] == "passed"
    assert (verdict["rows_in"], verdict["accepted"], verdict["quarantined"]) == (8, 5, 3)
    example = verdict["examples"]["not_null:close"][0]
    assert (example["file"], example["line"]) == (str(FAULTY), 7)
    assert example["values"]["symbol"] == "BBB"
    assert verdict["rules"]["high_is_max"]["severity"] == "quarantine"
    json.dumps(verdict)
