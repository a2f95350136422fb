"""The quarantine: one file per run in its contract, readable as one frame."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from axiom_features.contracts import QUARANTINE_SCHEMA
from axiom_features.ingest import import_bars
from axiom_features.paths import RepoPaths
from axiom_features.quality import read_quarantine

FAULTY = Path(__file__).parent / "data" / "bars_with_faults.csv"


@pytest.fixture
def repo(tmp_path: Path) -> RepoPaths:
    return RepoPaths(tmp_path / "repo")


def test_an_empty_quarantine_reads_as_an_empty_frame_with_the_contract_columns(repo):
    held = read_quarantine(repo)
    assert held.empty and list(held.columns) == QUARANTINE_SCHEMA.names


def test_runs_are_kept_apart_and_read_together_or_alone(repo, tmp_path):
    other = tmp_path / "other_vendor.csv"  # the same faults from another source file
    other.write_text(FAULTY.read_text().replace("AAA", "AAB").replace("BBB", "BBC"))
    import_bars(FAULTY, repo, run_id="20260101T000000Z-aaaaaa")
    import_bars(other, repo, run_id="20260102T000000Z-bbbbbb")

    assert sorted(p.name for p in repo.quarantine.iterdir()) == [
        "20260101T000000Z-aaaaaa.parquet",
        "20260102T000000Z-bbbbbb.parquet",
    ]
    assert read_quarantine(repo)["run_id"].value_counts().to_dict() == {
        "20260101T000000Z-aaaaaa": 3,
        "20260102T000000Z-bbbbbb": 3,
    }
    assert len(read_quarantine(repo, run_id="20260102T000000Z-bbbbbb")) == 3


def test_a_clean_import_writes_no_quarantine_file(repo, tmp_path):
    path = tmp_path / "aaa.csv"
    path.write_text("Date,Open,High,Low,Close,Volume\n2024-01-02,1,2,0.5,1.5,9\n")

    result = import_bars(path, repo, run_id="r")

    assert result.quarantine_path is None and not repo.quarantine.exists()


def test_a_row_without_symbol_or_time_is_still_held_with_its_values(repo, tmp_path):
    path = tmp_path / "long.csv"
    path.write_text("Date,Symbol,Open,High,Low,Close,Volume\n,,1,2,0.5,1.5,9\n")

    import_bars(path, repo, run_id="r")

    row = read_quarantine(repo).iloc[0]
    assert row["failed_rules"] == "not_null:symbol;not_null:event_timestamp"
    assert row["symbol"] is None and pd.isna(row["event_timestamp"])
    assert row["open"] == 1.0 and row["source_line"] == 2


def test_raw_record_of_a_parquet_row_keeps_its_typed_values(repo, tmp_path):
    path = tmp_path / "aaa.parquet"
    pd.DataFrame(
        {
            "Date": pd.to_datetime(["2024-01-02 16:00"]),
            "Open": [10.0],
            "High": [9.0],
            "Low": [8.0],
            "Close": [9.5],
            "Volume": [100],
            "Exchange": ["XNYS"],
        }
    ).to_parquet(path, index=False)

    import_bars(path, repo, run_id="r")

    row = read_quarantine(repo).iloc[0]
    assert row["failed_rules"] == "high_is_max"
    assert json.loads(row["raw_record"]) == {
        "Date": "2024-01-02T16:00:00",
        "Open": 10.0,
        "High": 9.0,
        "Low": 8.0,
        "Close": 9.5,
        "Volume": 100,
        "Exchange": "XNYS",
    }
