"""The fundamentals lake: one file per symbol, every filing kept, idempotent upserts."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from axiom_features.contracts.fundamentals import FUNDAMENTALS_SCHEMA
from axiom_features.lakes.fundamentals import FundamentalsLake
from axiom_features.lakes.paths import fundamentals_dir
from axiom_features.paths import RepoPaths
from axiom_features.synthetic.fundamentals import generate_fundamentals


@pytest.fixture
def repo(tmp_path: Path) -> RepoPaths:
    return RepoPaths(tmp_path / "repo")


@pytest.fixture(scope="module")
def filings() -> pd.DataFrame:
    return generate_fundamentals(["AXM", "BLQ"], start="2019-01-01", end="2023-12-31", seed=5)


def test_filings_are_stored_per_symbol_under_data_lake_fundamentals(repo, filings):
    lake = FundamentalsLake(repo)
    lake.upsert(filings)
    assert fundamentals_dir(repo) == repo.root / "data" / "lake" / "fundamentals"
    assert lake.symbols() == ["AXM", "BLQ"]
    assert lake.path("AXM") == fundamentals_dir(repo) / "AXM.parquet"


def test_read_gives_back_the_symbols_filings_sorted_by_filing_time(repo, filings):
    lake = FundamentalsLake(repo)
    lake.upsert(filings.sample(frac=1.0, random_state=1))
    stored = lake.read("AXM")
    assert stored["filing_timestamp"].is_monotonic_increasing
    expected = filings[filings["symbol"] == "AXM"]
    expected = expected.sort_values(["filing_timestamp", "fiscal_period"])
    pd.testing.assert_frame_equal(stored, expected.reset_index(drop=True))


def test_upserting_the_same_filings_again_adds_nothing(repo, filings):
    lake = FundamentalsLake(repo)
    first = lake.upsert(filings)
    before = lake.path("AXM").read_bytes()
    again = lake.upsert(filings)
    assert (first.new_rows, first.already_present) == (len(filings), 0)
    assert (again.new_rows, again.already_present, again.conflicts) == (0, len(filings), 0)
    assert lake.path("AXM").read_bytes() == before


def test_a_differing_row_with_a_stored_key_is_a_conflict_and_the_stored_row_stays(repo, filings):
    lake = FundamentalsLake(repo)
    lake.upsert(filings)
    changed = filings.iloc[[0]].copy()
    changed["revenue"] = changed["revenue"] * 2
    result = lake.upsert(changed)
    assert (result.new_rows, result.already_present, result.conflicts) == (0, 1, 1)
    symbol = changed["symbol"].iloc[0]
    stored = lake.read(symbol).set_index(["fiscal_period", "filing_timestamp"])
    key = (changed["fiscal_period"].iloc[0], changed["filing_timestamp"].iloc[0])
    assert stored.loc[key, "revenue"] == filings["revenue"].iloc[0]


def test_a_restatement_is_kept_next_to_the_original(repo, filings):
    lake = FundamentalsLake(repo)
    lake.upsert(filings)
    restated = filings.iloc[[0]].copy()
    restated["filing_timestamp"] += pd.Timedelta(days=90)
    restated["net_income"] = restated["net_income"] - 1e6
    assert lake.upsert(restated).new_rows == 1
    stored = lake.read(restated["symbol"].iloc[0])
    assert (stored["fiscal_period"] == restated["fiscal_period"].iloc[0]).sum() == 2


def test_an_unknown_symbol_reads_as_an_empty_frame_in_the_contract(repo):
    empty = FundamentalsLake(repo).read("NOPE")
    assert list(empty.columns) == FUNDAMENTALS_SCHEMA.names
    assert len(empty) == 0
