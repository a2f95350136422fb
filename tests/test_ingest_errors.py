"""Files that cannot be imported fail with one IngestError line naming the file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from axiom_features.ingest import IngestError, import_bars
from axiom_features.lakes.bars import BarLake
from axiom_features.paths import RepoPaths

GOOD = "Date,Open,High,Low,Close,Volume\n2024-01-02,1,2,0.5,1.5,9\n"


@pytest.fixture
def repo(tmp_path: Path) -> RepoPaths:
    return RepoPaths(tmp_path / "repo")


def _fails(path: Path, repo: RepoPaths, *pieces: str) -> str:
    with pytest.raises(IngestError) as caught:
        import_bars(path, repo, run_id="r")
    message = str(caught.value)
    assert "\n" not in message
    assert str(path) in message
    for piece in pieces:
        assert piece in message
    return message


@pytest.mark.parametrize("content", [b"", b"\n\n  \n"])
def test_empty_csv(repo, tmp_path, content):
    path = tmp_path / "aaa.csv"
    path.write_bytes(content)
    _fails(path, repo, "empty")


def test_empty_parquet_file(repo, tmp_path):
    path = tmp_path / "aaa.parquet"
    path.write_bytes(b"")
    _fails(path, repo, "empty")


def test_parquet_without_rows(repo, tmp_path):
    path = tmp_path / "aaa.parquet"
    pd.DataFrame({"Date": pd.to_datetime([]), "Close": []}).to_parquet(path)
    _fails(path, repo, "no rows")


def test_header_only(repo, tmp_path):
    path = tmp_path / "aaa.csv"
    path.write_text("Date,Open,High,Low,Close,Volume\n")
    _fails(path, repo, "header but no rows")


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_other_delimiters_are_sniffed(repo, tmp_path, delimiter):
    path = tmp_path / "aaa.csv"
    path.write_text(GOOD.replace(",", delimiter))

    result = import_bars(path, repo, run_id="r")

    assert result.accepted == 1
    assert BarLake(repo).read().column("close").to_pylist() == [1.5]
    assert any(repr(delimiter) in note for note in result.files[0].notes)


def test_truncated_parquet(repo, tmp_path):
    path = tmp_path / "aaa.parquet"
    pd.DataFrame({"Date": pd.to_datetime(["2024-01-02"] * 50), "Close": range(50)}).to_parquet(path)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    _fails(path, repo, "not a readable Parquet file")


def test_missing_required_column_names_file_and_column(repo, tmp_path):
    path = tmp_path / "aaa.csv"
    path.write_text("Date,Open,High,Low,Close\n2024-01-02,1,2,0.5,1.5\n")
    _fails(path, repo, "missing required column 'volume'")


def test_missing_date_column(repo, tmp_path):
    path = tmp_path / "aaa.csv"
    path.write_text("When,Open,High,Low,Close,Volume\nMonday,1,2,0.5,1.5,9\n")
    _fails(path, repo, "'event_timestamp'", "When")


def test_binary_file_with_a_csv_name(repo, tmp_path):
    path = tmp_path / "aaa.csv"
    path.write_bytes(b"PAR1\x00\x01\x02garbage")
    _fails(path, repo, "not a text file")


def test_one_column_spelled_twice(repo, tmp_path):
    path = tmp_path / "aaa.csv"
    path.write_text("Date,Open,High,Low,Close,close,Volume\n2024-01-02,1,2,0.5,1.5,1.5,9\n")
    _fails(path, repo, "'Close'", "'close'")


def test_unsupported_file_type(repo, tmp_path):
    path = tmp_path / "aaa.xlsx"
    path.write_bytes(b"x")
    _fails(path, repo, ".xlsx")


def test_missing_file(repo, tmp_path):
    _fails(tmp_path / "nowhere.csv", repo, "no such file")


def test_directory_without_bar_files(repo, tmp_path):
    folder = tmp_path / "empty_dir"
    folder.mkdir()
    _fails(folder, repo, "no .csv or .parquet")


def test_use_adjusted_without_an_adj_close_column(repo, tmp_path):
    path = tmp_path / "aaa.csv"
    path.write_text(GOOD)
    with pytest.raises(IngestError, match=r"aaa\.csv.*Adj Close"):
        import_bars(path, repo, run_id="r", use_adjusted=True)


def test_ingest_error_is_a_value_error():
    assert issubclass(IngestError, ValueError)
