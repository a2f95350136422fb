"""Bad input that must neither crash nor lose rows: order, repeated files, mixed zones."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from axiom_features.ingest import import_bars
from axiom_features.lakes.bars import BarLake
from axiom_features.paths import RepoPaths
from axiom_features.quality import read_quarantine
from tests.quality_helpers import clean_bars, write_vendor_csv


@pytest.fixture
def repo(tmp_path: Path) -> RepoPaths:
    return RepoPaths(tmp_path / "repo")


def test_out_of_order_rows_are_accepted_and_stored_in_time_order(repo, tmp_path):
    bars = clean_bars(2, 60)
    path = write_vendor_csv(bars.sample(frac=1.0, random_state=3), tmp_path / "shuffled.csv")

    result = import_bars(path, repo, run_id="r")

    assert (result.rows_in, result.accepted, result.quarantined) == (120, 120, 0)
    assert result.warned == 0
    stored = BarLake(repo).read(["AXM"]).to_pandas()
    assert stored["event_timestamp"].is_monotonic_increasing and len(stored) == 60


def test_out_of_order_rows_keep_their_own_line_when_held(repo, tmp_path):
    bars = clean_bars(1, 40)
    bars.loc[7, "close"] = float("nan")
    shuffled = bars.iloc[::-1].reset_index(drop=True)
    path = write_vendor_csv(shuffled, tmp_path / "reversed.csv")

    import_bars(path, repo, run_id="r")

    held = read_quarantine(repo)
    assert held["source_line"].tolist() == [int(shuffled.index[shuffled["close"].isna()][0]) + 2]


def test_the_same_file_named_twice_is_read_once(repo, tmp_path):
    path = write_vendor_csv(clean_bars(1, 30), tmp_path / "a.csv")

    result = import_bars([path, path], repo, run_id="r")

    assert (result.rows_in, result.accepted, result.quarantined) == (30, 30, 0)
    assert len(result.files) == 1


def test_two_files_with_the_same_bars_hold_the_second_copy(repo, tmp_path):
    first = write_vendor_csv(clean_bars(1, 30), tmp_path / "a.csv")
    second = tmp_path / "copy_of_a.csv"
    shutil.copy(first, second)

    result = import_bars([first, second], repo, run_id="r")

    assert (result.rows_in, result.accepted, result.quarantined) == (60, 30, 30)
    held = read_quarantine(repo)
    assert set(held["failed_rules"]) == {"unique_key"}
    assert set(held["source_file"]) == {str(second)}
    assert BarLake(repo).read().num_rows == 30


def test_a_file_imported_again_in_a_later_run_adds_nothing(repo, tmp_path):
    path = write_vendor_csv(clean_bars(1, 30), tmp_path / "a.csv")
    import_bars(path, repo, run_id="r1")

    again = import_bars(path, repo, run_id="r2")

    assert (again.rows_in, again.accepted, again.new_rows, again.already_present) == (30, 30, 0, 30)
    assert BarLake(repo).read().num_rows == 30


def test_mixed_offsets_and_naive_values_in_one_file_are_each_converted(repo, tmp_path):
    bars = clean_bars(1, 4)
    path = write_vendor_csv(bars, tmp_path / "a.csv")
    lines = path.read_text().splitlines()
    # the same instants: Z, a New York offset, and naive UTC (the default zone)
    lines[2] = lines[2].replace(lines[2].split(",")[0], bars["event_timestamp"][1].tz_convert(
        "America/New_York").isoformat())  # fmt: skip
    lines[3] = lines[3].replace("Z,", ",", 1)
    path.write_text("\n".join(lines) + "\n")

    result = import_bars(path, repo, run_id="r")

    assert result.accepted == 4
    stored = BarLake(repo).read().column("event_timestamp").to_pylist()
    assert [t.isoformat() for t in stored] == [t.isoformat() for t in bars["event_timestamp"]]
