"""Fundamentals CSV import: vendor spellings, UTC dates, rejected rows, idempotence."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from axiom_features.ingest import IngestError
from axiom_features.ingest.fundamentals import import_fundamentals_csv
from axiom_features.lakes.fundamentals import FundamentalsLake
from axiom_features.paths import RepoPaths

TITLE_CASE = """\
Ticker,Fiscal Period,Period End,Filing Date,Total Revenue,Net Income,Total Assets,\
Total Stockholders Equity,Shares Outstanding,Capital Expenditure
AXM,2024Q1,2024-03-31,2024-05-02,"1,000.5",100,5000,2000,50,-20
AXM,2024Q2,2024-06-30,2024-08-01T16:30:00-04:00,1100,(15),5100,2050,50,(30)
AXM,Q3 2024,2024-09-30,2024-10-30 12:00,1200,120,5200,2100,50,25
"""

CAMEL_CASE = """\
symbol;period;calendarYear;periodEnding;acceptedDate;revenue;netIncome;totalAssets;\
totalStockholdersEquity;epsdiluted;filed
BLQ;Q1;2024;2024-03-31;2024-04-29 21:15:00;500;50;900;400;0.5;2024-04-29
BLQ;Q2;2024;2024-06-30;2024-07-30 21:15:00;520;52;910;410;0.52;2024-07-30
"""

WITH_FAULTS = """\
symbol,fiscal_period,period_end,filed,revenue,net_income
AXM,2024Q1,2024-03-31,2024-05-02,1000,100
AXM,2024Q2,2024-06-30,2024-08-01,1100,abc
AXM,2024Q3,2024-09-30,,1200,120
,2024Q4,2024-12-31,2025-02-01,1300,130
AXM,2025Q1,2025-03-31,not a date,1400,140
AXM,2025 first,2025-06-30,2025-08-01,1500,150
AXM,2025Q3,2025-09-30,2025-11-01,,
"""


@pytest.fixture
def repo(tmp_path: Path) -> RepoPaths:
    return RepoPaths(tmp_path / "repo")


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_title_case_vendor_columns_map_to_the_contract(tmp_path, repo):
    result = import_fundamentals_csv(write(tmp_path, "axm.csv", TITLE_CASE), repo, source="v1")
    assert (result.rows_in, result.accepted, result.rejected) == (3, 3, 0)
    stored = FundamentalsLake(repo).read("AXM")
    assert stored["fiscal_period"].tolist() == ["2024Q1", "2024Q2", "2024Q3"]
    assert stored["revenue"].tolist() == [1000.5, 1100.0, 1200.0]
    assert stored["net_income"].tolist() == [100.0, -15.0, 120.0]
    assert stored["total_equity"].tolist() == [2000.0, 2050.0, 2100.0]
    assert stored["shares_outstanding"].tolist() == [50.0, 50.0, 50.0]
    assert set(stored["source"]) == {"v1"}
    assert stored["inventory"].isna().all()  # a column the file lacks is null


def test_outflows_are_stored_as_positive_amounts_whatever_the_vendor_sign(tmp_path, repo):
    import_fundamentals_csv(write(tmp_path, "axm.csv", TITLE_CASE), repo)
    assert FundamentalsLake(repo).read("AXM")["capital_expenditure"].tolist() == [20, 30, 25]


def test_dates_are_utc_naive_ones_as_utc_offsets_converted(tmp_path, repo):
    import_fundamentals_csv(write(tmp_path, "axm.csv", TITLE_CASE), repo)
    stored = FundamentalsLake(repo).read("AXM")
    assert str(stored["filing_timestamp"].dtype) == "datetime64[us, UTC]"
    assert stored["filing_timestamp"].iloc[1] == pd.Timestamp("2024-08-01 20:30", tz="UTC")
    assert stored["filing_timestamp"].iloc[2] == pd.Timestamp("2024-10-30 12:00", tz="UTC")
    assert stored["period_end"].iloc[0] == pd.Timestamp("2024-03-31", tz="UTC")


def test_a_filing_date_without_time_is_public_at_the_end_of_that_utc_day(tmp_path, repo):
    import_fundamentals_csv(write(tmp_path, "axm.csv", TITLE_CASE), repo)
    first = FundamentalsLake(repo).read("AXM")["filing_timestamp"].iloc[0]
    assert first == pd.Timestamp("2024-05-02 23:59:59.999999", tz="UTC")


def test_camel_case_spellings_and_a_quarter_with_a_year_column(tmp_path, repo):
    result = import_fundamentals_csv(write(tmp_path, "blq.csv", CAMEL_CASE), repo)
    assert result.accepted == 2
    stored = FundamentalsLake(repo).read("BLQ")
    assert stored["fiscal_period"].tolist() == ["2024Q1", "2024Q2"]
    # acceptedDate (with a time) is preferred to the date-only "filed".
    assert stored["filing_timestamp"].iloc[0] == pd.Timestamp("2024-04-29 21:15", tz="UTC")
    assert stored["eps_diluted"].tolist() == [0.5, 0.52]


def test_a_missing_key_column_fails_naming_the_file_and_the_column(tmp_path, repo):
    text = "symbol,fiscal_period,period_end,revenue\nAXM,2024Q1,2024-03-31,1000\n"
    path = write(tmp_path, "no_filing_date.csv", text)
    with pytest.raises(IngestError) as raised:
        import_fundamentals_csv(path, repo)
    message = str(raised.value)
    assert str(path) in message
    assert "'filing_timestamp'" in message
    assert "filingdate" in message  # the spellings it would have accepted
    assert FundamentalsLake(repo).symbols() == []


def test_faulty_rows_are_kept_out_with_their_line_and_reason(tmp_path, repo):
    result = import_fundamentals_csv(write(tmp_path, "faults.csv", WITH_FAULTS), repo)
    reasons = {r.line: r.reason for r in result.rejections}
    assert reasons == {
        3: "column 'net_income': 'abc' is not a number",
        4: "column 'filed': missing",
        5: "column 'symbol': missing",
        6: "column 'filed': 'not a date' is not a date",
        7: "column 'fiscal_period': '2025 first' is not a fiscal quarter like 2024Q3",
    }
    assert FundamentalsLake(repo).read("AXM")["fiscal_period"].tolist() == ["2024Q1", "2025Q3"]


def test_counts_add_up(tmp_path, repo):
    result = import_fundamentals_csv(write(tmp_path, "faults.csv", WITH_FAULTS), repo)
    assert (result.rows_in, result.accepted, result.rejected) == (7, 2, 5)
    assert result.rows_in == result.accepted + result.rejected
    assert result.accepted == result.new_rows + result.already_present


def test_empty_numbers_are_null_not_rejections(tmp_path, repo):
    import_fundamentals_csv(write(tmp_path, "faults.csv", WITH_FAULTS), repo)
    last = FundamentalsLake(repo).read("AXM").iloc[-1]
    assert np.isnan(last["revenue"]) and np.isnan(last["net_income"])


def test_importing_the_same_file_again_adds_nothing(tmp_path, repo):
    path = write(tmp_path, "faults.csv", WITH_FAULTS)
    first = import_fundamentals_csv(path, repo)
    stored = FundamentalsLake(repo).read("AXM")
    again = import_fundamentals_csv(path, repo)
    assert (first.new_rows, again.new_rows) == (2, 0)
    assert (again.already_present, again.conflicts) == (2, 0)
    pd.testing.assert_frame_equal(FundamentalsLake(repo).read("AXM"), stored)
