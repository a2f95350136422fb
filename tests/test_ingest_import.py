"""import_bars / import_frame end to end: gate, quarantine, lake, accounting, idempotence."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from axiom_features.contracts import BAR_SCHEMA, QUARANTINE_SCHEMA, check_schema
from axiom_features.ingest import IngestError, QualityOptions, import_bars, import_frame
from axiom_features.lakes.bars import BarLake
from axiom_features.paths import RepoPaths
from axiom_features.quality import BatchBlocked, read_quarantine

FAULTY = Path(__file__).parent / "data" / "bars_with_faults.csv"


@pytest.fixture
def repo(tmp_path: Path) -> RepoPaths:
    return RepoPaths(tmp_path / "repo")


def test_acceptance_three_faulty_rows_are_quarantined_and_the_rest_land_in_the_lake(repo):
    result = import_bars([FAULTY], repo, run_id="run-1")

    assert (result.rows_in, result.accepted, result.quarantined) == (8, 5, 3)
    assert result.rows_in == result.accepted + result.quarantined
    held = read_quarantine(repo).sort_values("source_line")
    assert held["source_line"].tolist() == [6, 7, 8]
    assert held["failed_rules"].tolist() == [
        "high_is_max;low_is_min",
        "not_null:close",
        "unique_key",
    ]
    assert set(held["source_file"]) == {str(FAULTY)}
    assert set(held["run_id"]) == {"run-1"}
    assert result.rule_counts == {
        "high_is_max": 1,
        "low_is_min": 1,
        "not_null:close": 1,
        "unique_key": 1,
    }

    lake = BarLake(repo).read().to_pandas()
    assert len(lake) == 5 == result.new_rows
    assert sorted(lake["symbol"].unique()) == ["AAA", "BBB"]
    assert lake.loc[lake["symbol"] == "AAA", "close"].tolist() == [10.5, 11.0, 11.1]

    again = import_bars([FAULTY], repo, run_id="run-2")
    assert (again.new_rows, again.already_present, again.conflicts) == (0, 5, 0)
    assert again.quarantined == 3
    assert BarLake(repo).read().num_rows == 5


def test_quarantine_file_is_named_by_run_and_matches_its_contract(repo):
    result = import_bars(FAULTY, repo, run_id="20260101T000000Z-abc123")

    assert result.quarantine_path == repo.quarantine / "20260101T000000Z-abc123.parquet"
    check_schema(pq.read_table(result.quarantine_path), QUARANTINE_SCHEMA, "quarantine")


def test_raw_record_keeps_the_text_as_read(repo):
    import_bars([FAULTY], repo, run_id="r")
    held = read_quarantine(repo).set_index("source_line")

    assert json.loads(held.loc[7, "raw_record"]) == {
        "Date": "2024-01-04",
        "Ticker": "BBB",
        "Open": "20.2",
        "High": "20.9",
        "Low": "19.9",
        "Close": "",
        "Volume": "3000",
    }
    assert np.isnan(held.loc[7, "close"]) and held.loc[7, "open"] == 20.2


def test_text_in_a_numeric_column_quarantines_the_row_with_its_text(repo, tmp_path):
    path = tmp_path / "AAA.csv"
    path.write_text(
        "Date,Open,High,Low,Close,Volume\n"
        "2024-01-02,10,11,9,10.5,1000\n"
        "2024-01-03,ten,11,9,10.5,1000\n"
        '2024-01-04,10,11,9,10.5,"1,200"\n'
    )
    result = import_bars(path, repo, run_id="r")

    assert (result.rows_in, result.accepted, result.quarantined) == (3, 1, 2)
    held = read_quarantine(repo).set_index("source_line")
    assert held.loc[3, "failed_rules"] == "type:open"
    assert json.loads(held.loc[3, "raw_record"])["Open"] == "ten"
    assert held.loc[4, "failed_rules"] == "type:volume"
    assert json.loads(held.loc[4, "raw_record"])["Volume"] == "1,200"


def test_a_directory_imports_every_csv_and_parquet_file_with_a_breakdown_per_file(repo, tmp_path):
    folder = tmp_path / "incoming"
    folder.mkdir()
    shutil.copy(FAULTY, folder / "long.csv")
    pd.DataFrame(
        {
            "Date": pd.to_datetime(["2024-01-02", "2024-01-03"]),
            "Open": [5.0, 5.1],
            "High": [5.5, 5.6],
            "Low": [4.9, 5.0],
            "Close": [5.2, 5.3],
            "Volume": [10, 20],
        }
    ).to_parquet(folder / "ccc.parquet")
    (folder / "notes.md").write_text("not bars")

    result = import_bars([folder], repo, run_id="r")

    reports = {Path(f.path).name: f for f in result.files}
    assert set(reports) == {"ccc.parquet", "long.csv"}
    assert (reports["long.csv"].rows_in, reports["long.csv"].accepted) == (8, 5)
    assert reports["long.csv"].quarantined == 3
    assert (reports["ccc.parquet"].rows_in, reports["ccc.parquet"].accepted) == (2, 2)
    assert reports["ccc.parquet"].symbols == ("ccc",)  # the file name, case kept
    assert result.rows_in == 10 == result.accepted + result.quarantined
    assert BarLake(repo).symbols() == ["AAA", "BBB", "ccc"]


def test_a_bad_file_stops_the_import_before_anything_is_written(repo, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("Date,Open,High,Low,Close\n2024-01-02,1,2,0.5,1.5\n")

    with pytest.raises(IngestError, match="bad.csv"):
        import_bars([FAULTY, bad], repo, run_id="r")

    assert BarLake(repo).symbols() == []
    assert read_quarantine(repo).empty


def test_source_and_created_timestamp_are_stamped_on_every_row(repo):
    before = pd.Timestamp.now(tz="UTC")
    import_bars(FAULTY, repo, run_id="r", source="vendor_x")
    bars = BarLake(repo).read().to_pandas()

    assert set(bars["source"]) == {"vendor_x"}
    assert bars["created_timestamp"].nunique() == 1
    assert before <= bars["created_timestamp"].iloc[0] <= pd.Timestamp.now(tz="UTC")
    assert BarLake(repo).read().schema.remove_metadata() == BAR_SCHEMA.remove_metadata()


def test_the_same_bars_from_another_source_are_new_rows(repo):
    import_bars(FAULTY, repo, run_id="a", source="vendor_a")
    result = import_bars(FAULTY, repo, run_id="b", source="vendor_b")

    assert result.new_rows == 5
    assert BarLake(repo).read().num_rows == 10


def test_a_corrected_file_holds_the_correction_and_keeps_the_stored_values(repo, tmp_path):
    import_bars(FAULTY, repo, run_id="a")
    corrected = tmp_path / "bars.csv"
    text = FAULTY.read_text()
    corrected.write_text(
        text.replace("2024-01-02,AAA,10.0,11.0,9.5,10.5", "2024-01-02,AAA,10.0,11.0,9.5,10.6")
    )

    result = import_bars(corrected, repo, run_id="b")

    assert (result.new_rows, result.already_present, result.corrections) == (0, 4, 1)
    assert result.rule_counts["correction"] == 1
    stored = BarLake(repo).read(["AAA"]).to_pandas()
    assert stored["close"].iloc[0] == 10.5


def test_a_corrected_file_under_keep_counts_the_conflict(repo, tmp_path):
    import_bars(FAULTY, repo, run_id="a")
    corrected = tmp_path / "bars.csv"
    text = FAULTY.read_text()
    corrected.write_text(
        text.replace("2024-01-02,AAA,10.0,11.0,9.5,10.5", "2024-01-02,AAA,10.0,11.0,9.5,10.6")
    )

    result = import_bars(corrected, repo, run_id="b", quality=QualityOptions(on_conflict="keep"))

    assert (result.new_rows, result.already_present, result.conflicts) == (0, 5, 1)


def _generated(n_days: int = 5) -> pd.DataFrame:
    stamps = pd.date_range("2024-01-02 21:00", periods=n_days, freq="B", tz="UTC")
    return pd.DataFrame(
        {
            "symbol": "GEN",
            "event_timestamp": stamps,
            "open": np.linspace(10, 11, n_days),
            "high": np.linspace(10.5, 11.5, n_days),
            "low": np.linspace(9.5, 10.5, n_days),
            "close": np.linspace(10.2, 11.2, n_days),
            "volume": np.arange(100, 100 + n_days),
        }
    )


def test_import_frame_gates_generated_bars_and_names_origin_and_row(repo):
    bars = _generated()
    bars.loc[3, "low"] = 50.0

    result = import_frame(bars, repo, run_id="g", source="synthetic", origin="<synthetic seed=7>")

    assert (result.rows_in, result.accepted, result.quarantined, result.new_rows) == (5, 4, 1, 4)
    held = read_quarantine(repo)
    assert held[["source_file", "source_line", "failed_rules"]].values.tolist() == [
        ["<synthetic seed=7>", 4, "high_is_max;low_is_min"]
    ]
    assert json.loads(held["raw_record"].iloc[0])["low"] == 50.0
    stored = BarLake(repo).read().to_pandas()
    assert set(stored["source"]) == {"synthetic"}
    assert stored["volume"].dtype == np.float64
    assert import_frame(bars, repo, run_id="g2", source="synthetic").new_rows == 0


def test_import_frame_refuses_a_frame_missing_a_contract_column(repo):
    with pytest.raises(BatchBlocked, match="volume"):
        import_frame(_generated().drop(columns="volume"), repo, run_id="g", source="synthetic")
    assert BarLake(repo).symbols() == []


def test_result_flags_an_ignored_adj_close_column(repo, tmp_path):
    path = tmp_path / "AAA.csv"
    path.write_text("Date,Open,High,Low,Close,Adj Close,Volume\n2024-01-02,10,11,9,10,5,100\n")

    result = import_bars(path, repo, run_id="r")

    assert result.adj_close_ignored
    assert any("Adj Close" in note for note in result.files[0].notes)
    assert BarLake(repo).read().column("close").to_pylist() == [10.0]
