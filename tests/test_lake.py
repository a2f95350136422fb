"""BarLake: one sorted Parquet file per symbol, idempotent upserts, filtered reads."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from axiom_features.contracts import BAR_SCHEMA, ContractError, check_schema
from axiom_features.lakes.bars import BarLake, UpsertResult
from axiom_features.paths import RepoPaths


@pytest.fixture
def lake(tmp_path: Path) -> BarLake:
    return BarLake(RepoPaths(tmp_path / "repo"))


def _bars(symbol: str, days: list[str], close: float = 10.5, source: str = "test") -> pd.DataFrame:
    n = len(days)
    return pd.DataFrame(
        {
            "symbol": [symbol] * n,
            "event_timestamp": pd.to_datetime(days, utc=True).astype("datetime64[us, UTC]"),
            "open": [10.0] * n,
            "high": [11.0] * n,
            "low": [9.0] * n,
            "close": [close] * n,
            "volume": [100.0] * n,
            "created_timestamp": pd.Series(
                [pd.Timestamp("2024-02-01", tz="UTC")] * n, dtype="datetime64[us, UTC]"
            ),
            "source": [source] * n,
        }
    )


def test_upsert_writes_one_sorted_file_per_symbol_in_the_contract(lake):
    offered = pd.concat([_bars("BBB", ["2024-01-03", "2024-01-02"]), _bars("AAA", ["2024-01-02"])])

    assert lake.upsert(offered) == UpsertResult(new_rows=3, already_present=0, conflicts=0)

    assert sorted(p.name for p in lake.root.iterdir()) == ["AAA.parquet", "BBB.parquet"]
    stored = pq.read_table(lake.path("BBB"))
    check_schema(stored, BAR_SCHEMA, "BBB")
    assert stored.column("event_timestamp").to_pylist() == sorted(
        stored.column("event_timestamp").to_pylist()
    )
    assert lake.symbols() == ["AAA", "BBB"]


def test_upserting_the_same_rows_again_adds_nothing_and_leaves_the_file_alone(lake):
    lake.upsert(_bars("AAA", ["2024-01-02", "2024-01-03"]))
    before = lake.path("AAA").stat().st_mtime_ns

    assert lake.upsert(_bars("AAA", ["2024-01-02", "2024-01-03"])) == (0, 2, 0)
    assert lake.path("AAA").stat().st_mtime_ns == before
    assert lake.read().num_rows == 2


def test_new_and_known_rows_together(lake):
    lake.upsert(_bars("AAA", ["2024-01-02"]))

    result = lake.upsert(_bars("AAA", ["2024-01-01", "2024-01-02", "2024-01-03"]))

    assert result == (2, 1, 0)
    assert lake.read().column("event_timestamp").to_pylist() == list(
        pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"], utc=True)
    )


def test_a_differing_row_for_a_stored_key_is_a_conflict_and_the_stored_row_stays(lake):
    lake.upsert(_bars("AAA", ["2024-01-02"], close=10.5))

    result = lake.upsert(_bars("AAA", ["2024-01-02", "2024-01-03"], close=99.0))

    assert result == UpsertResult(new_rows=1, already_present=1, conflicts=1)
    assert lake.read().column("close").to_pylist() == [10.5, 99.0]


def test_the_key_includes_the_source(lake):
    lake.upsert(_bars("AAA", ["2024-01-02"], source="a"))
    assert lake.upsert(_bars("AAA", ["2024-01-02"], source="b")) == (1, 0, 0)
    assert lake.read().column("source").to_pylist() == ["a", "b"]


def test_copies_within_one_offer_are_stored_once(lake):
    offered = pd.concat([_bars("AAA", ["2024-01-02"]), _bars("AAA", ["2024-01-02"], close=1.0)])

    assert lake.upsert(offered) == (1, 1, 1)
    assert lake.read().column("close").to_pylist() == [10.5]


def test_read_filters_by_symbol_and_inclusive_time_bounds(lake):
    days = ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"]
    lake.upsert(pd.concat([_bars("AAA", days), _bars("BBB", days)]))

    window = lake.read(["BBB"], start="2024-01-02", end=pd.Timestamp("2024-01-03", tz="UTC"))

    assert window.column("symbol").to_pylist() == ["BBB", "BBB"]
    assert window.column("event_timestamp").to_pylist() == list(
        pd.to_datetime(["2024-01-02", "2024-01-03"], utc=True)
    )
    assert lake.read().num_rows == 8
    assert lake.read(["ZZZ"]).num_rows == 0


def test_an_empty_lake_reads_as_an_empty_table_in_the_contract(lake):
    assert lake.symbols() == []
    empty = lake.read()
    assert empty.num_rows == 0 and empty.schema.equals(BAR_SCHEMA)


def test_symbols_unsafe_in_file_names_round_trip(lake):
    lake.upsert(pd.concat([_bars("BRK/B", ["2024-01-02"]), _bars("^GSPC", ["2024-01-02"])]))

    assert lake.symbols() == ["BRK/B", "^GSPC"]
    assert lake.read(["BRK/B"]).column("symbol").to_pylist() == ["BRK/B"]
    assert all(p.parent == lake.root for p in lake.root.iterdir())


def test_writes_leave_no_temporary_files(lake):
    lake.upsert(_bars("AAA", ["2024-01-02"]))
    lake.upsert(_bars("AAA", ["2024-01-03"]))
    assert [p.name for p in lake.root.iterdir()] == ["AAA.parquet"]


def test_an_arrow_table_off_contract_is_refused(lake):
    table = pa.Table.from_pandas(_bars("AAA", ["2024-01-02"]).drop(columns="volume"))
    with pytest.raises(ContractError, match="volume"):
        lake.upsert(table)


def test_an_arrow_table_in_contract_is_accepted(lake):
    table = pa.Table.from_pandas(_bars("AAA", ["2024-01-02"]), schema=BAR_SCHEMA)
    assert lake.upsert(table) == (1, 0, 0)
