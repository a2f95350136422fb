"""Importing headline CSVs: spellings, UTC, errors naming file/row/column, counts, idempotence."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from axiom_features.contracts.news import NEWS_QUARANTINE_SCHEMA
from axiom_features.ingest.errors import IngestError
from axiom_features.ingest.news import import_news_csv
from axiom_features.lakes.news import NewsLake
from axiom_features.paths import RepoPaths

SAMPLE = Path(__file__).parent / "data" / "news_sample.csv"


@pytest.fixture
def repo(tmp_path: Path) -> RepoPaths:
    return RepoPaths(tmp_path / "repo")


def _csv(tmp_path: Path, text: str, name: str = "news.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_counts_in_equal_accepted_plus_rejected(repo: RepoPaths) -> None:
    result = import_news_csv(SAMPLE, repo, source="vendor")
    assert (result.rows_in, result.accepted, result.rejected) == (10, 5, 5)
    assert (result.new_rows, result.already_present) == (4, 1)
    assert len(result.rejections) == result.rejected


def test_rejections_name_the_file_the_row_and_the_column(repo: RepoPaths) -> None:
    errors = import_news_csv(SAMPLE, repo, source="vendor").errors
    file = str(SAMPLE)
    assert errors == [
        f"{file}: row 5 (line 6): column 'Ticker' is empty",
        f"{file}: row 6 (line 7): column 'Date': unreadable time 'not a date'",
        f"{file}: row 7 (line 8): column 'Title' is empty",
        f"{file}: row 8 (line 9): column 'Date': 2099-01-01 00:00:00+00:00 is in the future",
        f"{file}: row 9 (line 10): wrong number of fields (header and row differ)",
    ]


def test_rejected_rows_are_kept_with_their_reasons(repo: RepoPaths) -> None:
    result = import_news_csv(SAMPLE, repo, source="vendor", run_id="run-1")
    assert result.quarantine_path is not None
    assert result.quarantine_path.parts[-3:] == ("quarantine", "news", "run-1.parquet")
    held = pq.read_table(result.quarantine_path)
    assert held.schema.equals(NEWS_QUARANTINE_SCHEMA, check_metadata=False)
    assert held["source_line"].to_pylist() == [6, 7, 8, 9, 10]
    assert "not a date" in held["raw_record"][1].as_py()


def test_accepted_rows_are_stored_in_utc(repo: RepoPaths) -> None:
    import_news_csv(SAMPLE, repo, source="vendor")
    axm, blq = NewsLake(repo).read("AXM"), NewsLake(repo).read("BLQ")
    assert list(axm["published_at"]) == [
        pd.Timestamp("2024-03-04 14:30", tz="UTC"),  # naive: UTC
        pd.Timestamp("2024-03-05 15:00", tz="UTC"),
    ]
    assert list(blq["published_at"]) == [
        pd.Timestamp("2024-03-05 08:00", tz="UTC"),  # +02:00 converted
        pd.Timestamp("2024-03-06 00:00", tz="UTC"),  # date only: midnight UTC
    ]
    assert (axm["source"] == "vendor").all()


def test_importing_the_same_file_again_adds_nothing(repo: RepoPaths, tmp_path: Path) -> None:
    import_news_csv(SAMPLE, repo, source="vendor")
    copy = shutil.copy(SAMPLE, tmp_path / "again.csv")
    again = import_news_csv(copy, repo, source="vendor")
    assert (again.new_rows, again.already_present) == (0, 5)
    assert len(NewsLake(repo).read("AXM")) == 2


@pytest.mark.parametrize(
    "header",
    [
        "symbol,headline,published_at",
        "ticker,title,date",
        "Ticker,Title,Datetime",
        "Symbol,Headline,publishedAt",
        "SYMBOL,HEADLINE,Published",
    ],
)
def test_column_spellings_are_recognised(header: str, repo: RepoPaths, tmp_path: Path) -> None:
    path = _csv(tmp_path, f"{header}\nAXM,AXM wins major contract,2024-03-04T14:30:00\n")
    result = import_news_csv(path, repo, source="vendor")
    assert (result.accepted, result.rejected) == (1, 0)
    assert NewsLake(repo).read("AXM")["headline"].tolist() == ["AXM wins major contract"]


def test_a_missing_column_names_the_file_and_the_column(repo: RepoPaths, tmp_path: Path) -> None:
    path = _csv(tmp_path, "ticker,date\nAXM,2024-03-04\n", name="no_title.csv")
    with pytest.raises(IngestError, match=r"no_title\.csv: missing required column 'headline'"):
        import_news_csv(path, repo, source="vendor")


def test_an_empty_file_is_an_error_naming_it(repo: RepoPaths, tmp_path: Path) -> None:
    with pytest.raises(IngestError, match=r"empty\.csv"):
        import_news_csv(_csv(tmp_path, "", name="empty.csv"), repo, source="vendor")
