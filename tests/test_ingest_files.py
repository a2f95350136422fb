"""Reading vendor files: column spellings, dates as index, one file per symbol or one long file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from axiom_features.ingest import import_bars
from axiom_features.lakes.bars import BarLake
from axiom_features.paths import RepoPaths
from axiom_features.quality import read_quarantine

DAYS = ["2024-01-02", "2024-01-03"]
# date-only values are stamped at the New York session close (21:00 UTC in January)
CLOSES = list(pd.to_datetime(["2024-01-02 21:00", "2024-01-03 21:00"], utc=True))
VALUES = [[10.0, 11.0, 9.5, 10.5, 1000.0], [10.5, 11.2, 10.1, 11.0, 1200.0]]


@pytest.fixture
def repo(tmp_path: Path) -> RepoPaths:
    return RepoPaths(tmp_path / "repo")


def _csv(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def _stored(repo: RepoPaths) -> pd.DataFrame:
    return BarLake(repo).read().to_pandas()


def _ohlcv(frame: pd.DataFrame) -> list[list[float]]:
    return frame[["open", "high", "low", "close", "volume"]].values.tolist()


@pytest.mark.parametrize(
    "header",
    [
        "Date,Open,High,Low,Close,Volume",
        "date,open,high,low,close,volume",
        "Datetime,O,H,L,C,Vol",
        "timestamp,OPEN,HIGH,LOW,CLOSE,VOLUME",
        "time,o,h,l,c,vol",
        "event_timestamp,Open,High,Low,Close,Volume",
        " Date , Open , High , Low , Close , Volume ",
    ],
)
def test_vendor_spellings_of_the_bar_columns(repo, tmp_path, header):
    rows = [f"{d},{','.join(map(str, v))}" for d, v in zip(DAYS, VALUES, strict=True)]
    path = _csv(tmp_path / "MSFT.csv", header, rows)

    result = import_bars(path, repo, run_id="r")

    assert result.accepted == 2
    bars = _stored(repo)
    assert set(bars["symbol"]) == {"MSFT"}
    assert bars["event_timestamp"].tolist() == CLOSES
    assert _ohlcv(bars) == VALUES


@pytest.mark.parametrize("name", ["Ticker", "Symbol", "ticker", "SYMBOL"])
def test_symbol_column_in_any_spelling_beats_the_file_name(repo, tmp_path, name):
    rows = ["2024-01-02,AAPL,10,11,9,10.5,100", "2024-01-02, MSFT ,20,21,19,20.5,200"]
    path = _csv(tmp_path / "prices.csv", f"Date,{name},Open,High,Low,Close,Volume", rows)

    import_bars(path, repo, run_id="r")

    assert BarLake(repo).symbols() == ["AAPL", "MSFT"]


def test_one_file_per_symbol_takes_the_symbol_from_the_file_stem(repo, tmp_path):
    for stem in ("AAPL", "MSFT", "BRK.B"):
        rows = ["2024-01-02,1,2,0.5,1.5,9"]
        _csv(tmp_path / f"{stem}.csv", "Date,Open,High,Low,Close,Volume", rows)

    result = import_bars(sorted(tmp_path.glob("*.csv")), repo, run_id="r")

    assert BarLake(repo).symbols() == ["AAPL", "BRK.B", "MSFT"]
    assert sorted(f.symbols for f in result.files) == [("AAPL",), ("BRK.B",), ("MSFT",)]


def test_one_long_file_and_files_per_symbol_store_the_same_bars(tmp_path):
    long_rows = [
        f"{d},{s},{','.join(map(str, v))}"
        for s in ("AAA", "BBB")
        for d, v in zip(DAYS, VALUES, strict=True)
    ]
    long_file = _csv(tmp_path / "all.csv", "Date,Symbol,Open,High,Low,Close,Volume", long_rows)
    per_symbol = tmp_path / "split"
    per_symbol.mkdir()
    for s in ("AAA", "BBB"):
        rows = [f"{d},{','.join(map(str, v))}" for d, v in zip(DAYS, VALUES, strict=True)]
        _csv(per_symbol / f"{s}.csv", "Date,Open,High,Low,Close,Volume", rows)

    one, two = RepoPaths(tmp_path / "one"), RepoPaths(tmp_path / "two")
    import_bars(long_file, one, run_id="r")
    import_bars(per_symbol, two, run_id="r")

    columns = ["symbol", "event_timestamp", "open", "high", "low", "close", "volume"]
    assert _stored(one)[columns].equals(_stored(two)[columns])
    assert len(_stored(one)) == 4


def _frame() -> pd.DataFrame:
    return pd.DataFrame(VALUES, columns=["Open", "High", "Low", "Close", "Volume"])


@pytest.mark.parametrize("index_name", ["Date", None])
def test_parquet_with_the_date_as_its_index(repo, tmp_path, index_name):
    frame = _frame().set_axis(pd.DatetimeIndex(pd.to_datetime(DAYS), name=index_name))
    frame.to_parquet(tmp_path / "aaa.parquet")

    result = import_bars(tmp_path / "aaa.parquet", repo, run_id="r")

    assert result.accepted == 2
    assert _stored(repo)["event_timestamp"].tolist() == CLOSES
    assert any("index" in note for note in result.files[0].notes)


@pytest.mark.parametrize("index_name", ["Date", None])
def test_csv_written_by_pandas_with_the_date_as_index(repo, tmp_path, index_name):
    frame = _frame().set_axis(pd.DatetimeIndex(pd.to_datetime(DAYS), name=index_name))
    frame.to_csv(tmp_path / "aaa.csv")

    import_bars(tmp_path / "aaa.csv", repo, run_id="r")

    assert _stored(repo)["event_timestamp"].tolist() == CLOSES
    assert _ohlcv(_stored(repo)) == VALUES


def test_parquet_rows_are_named_by_row_number_from_one(repo, tmp_path):
    frame = _frame().assign(Date=DAYS)
    frame.loc[1, "Close"] = np.nan
    frame.to_parquet(tmp_path / "aaa.parquet", index=False)

    import_bars(tmp_path / "aaa.parquet", repo, run_id="r")

    held = read_quarantine(repo)
    assert held[["source_line", "failed_rules"]].values.tolist() == [[2, "not_null:close"]]


def test_date_and_time_in_separate_columns_are_joined(repo, tmp_path):
    path = _csv(
        tmp_path / "fx.csv",
        "Date,Time,Open,High,Low,Close,Volume",
        ["2024-01-02,09:30,1,2,0.5,1.5,10", "2024-01-02,09:31,1,2,0.5,1.5,10"],
    )

    import_bars(path, repo, run_id="r")

    assert _stored(repo)["event_timestamp"].tolist() == list(
        pd.to_datetime(["2024-01-02 09:30", "2024-01-02 09:31"], utc=True)
    )


@pytest.mark.parametrize("spelling", ["Adj Close", "adj_close", "adjclose", "Adj. Close"])
def test_use_adjusted_scales_prices_by_adj_close_over_close(repo, tmp_path, spelling):
    path = _csv(
        tmp_path / "aaa.csv",
        f"Date,Open,High,Low,Close,{spelling},Volume",
        ["2024-01-02,10,12,8,10,5,100"],
    )

    result = import_bars(path, repo, run_id="r", use_adjusted=True)

    assert not result.adj_close_ignored
    assert _ohlcv(_stored(repo)) == [[5.0, 6.0, 4.0, 5.0, 100.0]]


def test_use_adjusted_without_adj_close_on_a_row_quarantines_it(repo, tmp_path):
    path = _csv(
        tmp_path / "aaa.csv",
        "Date,Open,High,Low,Close,Adj Close,Volume",
        ["2024-01-02,10,12,8,10,5,100", "2024-01-03,10,12,8,10,,100"],
    )

    result = import_bars(path, repo, run_id="r", use_adjusted=True)

    assert (result.accepted, result.quarantined) == (1, 1)
    assert read_quarantine(repo)["failed_rules"].tolist() == ["not_null:adj_close"]


def test_blank_lines_are_skipped_and_lines_stay_physical(repo, tmp_path):
    path = tmp_path / "aaa.csv"
    path.write_text(
        "Date,Open,High,Low,Close,Volume\n\n2024-01-02,1,2,0.5,1.5,9\n\n\n2024-01-03,1,2,3,1.5,9\n"
    )

    result = import_bars(path, repo, run_id="r")

    assert result.rows_in == 2
    assert read_quarantine(repo)["source_line"].tolist() == [6]


def test_a_row_with_the_wrong_number_of_fields_is_quarantined(repo, tmp_path):
    path = _csv(
        tmp_path / "aaa.csv",
        "Date,Open,High,Low,Close,Volume",
        ["2024-01-02,1,2,0.5,1.5,9", "2024-01-03,1,2,0.5,1.5,9,surplus", "2024-01-04,1,2"],
    )

    result = import_bars(path, repo, run_id="r")

    assert (result.accepted, result.quarantined) == (1, 2)
    held = read_quarantine(repo).set_index("source_line")
    assert held.loc[3, "failed_rules"] == "field_count"
    assert '"__extra__": "surplus"' in held.loc[3, "raw_record"]
    assert held.loc[4, "failed_rules"].startswith("field_count")


def test_symbols_are_case_sensitive_from_a_column_or_a_file_name(repo, tmp_path):
    rows = ["2024-01-02,brk.b,10,11,9,10.5,100", "2024-01-02,BRK.B,20,21,19,20.5,200"]
    _csv(tmp_path / "prices.csv", "Date,Symbol,Open,High,Low,Close,Volume", rows)
    _csv(tmp_path / "Msft.csv", "Date,Open,High,Low,Close,Volume", ["2024-01-02,1,2,0.5,1.5,9"])

    import_bars(sorted(tmp_path.glob("*.csv")), repo, run_id="r")

    assert BarLake(repo).symbols() == ["BRK.B", "Msft", "brk.b"]
    assert BarLake(repo).read_symbol("brk.b")["close"].tolist() == [10.5]
