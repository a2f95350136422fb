"""Timestamps become UTC once, at ingest: stated zone for naive values, own offset otherwise."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from axiom_features.ingest import IngestError, import_bars
from axiom_features.lakes.bars import BarLake
from axiom_features.paths import RepoPaths
from axiom_features.quality import read_quarantine

HEADER = "Date,Open,High,Low,Close,Volume"


@pytest.fixture
def repo(tmp_path: Path) -> RepoPaths:
    return RepoPaths(tmp_path / "repo")


def _import(repo: RepoPaths, tmp_path: Path, stamps: list[str], **options) -> list[pd.Timestamp]:
    path = tmp_path / "aaa.csv"
    path.write_text("\n".join([HEADER, *(f"{s},1,2,0.5,1.5,9" for s in stamps)]) + "\n")
    result = import_bars(path, repo, run_id="r", **options)
    assert result.timezone == options.get("timezone", "UTC")
    return BarLake(repo).read().column("event_timestamp").to_pandas().tolist()


def _utc(*values: str) -> list[pd.Timestamp]:
    return [pd.Timestamp(v, tz="UTC") for v in values]


def test_naive_values_are_utc_by_default(repo, tmp_path):
    assert _import(repo, tmp_path, ["2024-01-02 16:00:00"]) == _utc("2024-01-02 16:00")


def test_naive_values_are_taken_in_the_stated_timezone(repo, tmp_path):
    stamps = ["2024-01-02 16:00:00", "2024-07-02 16:00:00"]
    got = _import(repo, tmp_path, stamps, timezone="America/New_York")
    assert got == _utc("2024-01-02 21:00", "2024-07-02 20:00")  # EST, then EDT


def test_a_date_without_time_is_stamped_at_its_session_close(repo, tmp_path):
    # 16:00 New York; the bar is not known before its session ends
    assert _import(repo, tmp_path, ["2024-01-02"]) == _utc("2024-01-02 21:00")


def test_the_session_close_follows_the_stated_calendar(repo, tmp_path):
    got = _import(repo, tmp_path, ["2024-01-04"], timezone="Asia/Tokyo", calendar="XTKS")
    assert got == _utc("2024-01-04 06:00")  # 15:00 Tokyo


def test_a_date_off_the_calendar_gets_the_regular_close_time(repo, tmp_path):
    assert _import(repo, tmp_path, ["2024-07-04"]) == _utc("2024-07-04 20:00")  # a holiday


def test_an_early_close_is_honoured(repo, tmp_path):
    assert _import(repo, tmp_path, ["2024-11-29"]) == _utc("2024-11-29 18:00")  # 13:00 New York


def test_values_with_an_offset_ignore_the_stated_timezone(repo, tmp_path):
    got = _import(repo, tmp_path, ["2024-01-02T16:00:00-05:00"], timezone="Asia/Tokyo")
    assert got == _utc("2024-01-02 21:00")


def test_mixed_offsets_in_one_column_are_each_converted(repo, tmp_path):
    stamps = ["2024-01-02T10:00:00+01:00", "2024-01-03T10:00:00-05:00", "2024-01-04T10:00:00Z"]
    got = _import(repo, tmp_path, stamps)
    assert got == _utc("2024-01-02 09:00", "2024-01-03 15:00", "2024-01-04 10:00")


def test_naive_and_zoned_values_mixed_in_one_column(repo, tmp_path):
    stamps = ["2024-01-02 10:00:00", "2024-01-03T10:00:00+00:00"]
    got = _import(repo, tmp_path, stamps, timezone="Europe/Berlin")
    assert got == _utc("2024-01-02 09:00", "2024-01-03 10:00")


def test_non_iso_dates_are_read(repo, tmp_path):
    assert _import(repo, tmp_path, ["01/02/2024"]) == _utc("2024-01-02 21:00")


def test_parquet_zoned_timestamps_are_converted_and_naive_ones_localized(repo, tmp_path):
    frame = pd.DataFrame(
        {"open": [1.0], "high": [2.0], "low": [0.5], "close": [1.5], "volume": [9]}
    )
    zoned = frame.assign(
        date=pd.DatetimeIndex(["2024-01-02 16:00"]).tz_localize("America/New_York")
    )
    naive = frame.assign(date=pd.DatetimeIndex(["2024-01-02 16:00"]))
    zoned.to_parquet(tmp_path / "ZONED.parquet")
    naive.to_parquet(tmp_path / "NAIVE.parquet")

    import_bars(tmp_path, repo, run_id="r", timezone="Europe/London")

    bars = BarLake(repo).read().to_pandas().set_index("symbol")["event_timestamp"]
    assert bars["ZONED"] == pd.Timestamp("2024-01-02 21:00", tz="UTC")
    assert bars["NAIVE"] == pd.Timestamp("2024-01-02 16:00", tz="UTC")


def test_an_unreadable_or_nonexistent_local_time_is_quarantined(repo, tmp_path):
    path = tmp_path / "aaa.csv"
    path.write_text(
        f"{HEADER}\n2024-03-10 01:30:00,1,2,0.5,1.5,9\n2024-03-10 02:30:00,1,2,0.5,1.5,9\n"
        "yesterday,1,2,0.5,1.5,9\n"
    )

    result = import_bars(path, repo, run_id="r", timezone="America/New_York")

    assert (result.accepted, result.quarantined) == (1, 2)
    held = read_quarantine(repo)
    assert held[["source_line", "failed_rules"]].values.tolist() == [
        [3, "type:event_timestamp"],
        [4, "type:event_timestamp"],
    ]


def test_an_unknown_timezone_is_refused(repo, tmp_path):
    with pytest.raises(IngestError, match="Mars/Olympus"):
        _import(repo, tmp_path, ["2024-01-02"], timezone="Mars/Olympus")
