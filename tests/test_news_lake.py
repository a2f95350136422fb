"""NewsLake: one sorted Parquet file per symbol, idempotent upserts keyed by the news key."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from axiom_features.contracts.news import NEWS_SCHEMA
from axiom_features.lakes.bars import UpsertResult
from axiom_features.lakes.news import NewsLake
from axiom_features.paths import RepoPaths


@pytest.fixture
def lake(tmp_path: Path) -> NewsLake:
    return NewsLake(RepoPaths(tmp_path / "repo"))


def _news(symbol: str, rows: list[tuple[str, str]], source: str = "test") -> pd.DataFrame:
    times = pd.to_datetime([t for t, _ in rows], utc=True).astype("datetime64[us, UTC]")
    return pd.DataFrame(
        {
            "symbol": symbol,
            "published_at": times,
            "headline": [h for _, h in rows],
            "source": source,
            "created_timestamp": pd.Series(
                [pd.Timestamp("2024-04-01", tz="UTC")] * len(rows), dtype="datetime64[us, UTC]"
            ),
        }
    )


ROWS = [("2024-03-05 15:00", "AXM warns of weak demand"), ("2024-03-04 14:30", "AXM wins")]


def test_upsert_stores_one_file_per_symbol_sorted_by_publication(lake: NewsLake) -> None:
    result = lake.upsert(_news("AXM", ROWS))
    assert result == UpsertResult(new_rows=2, already_present=0, conflicts=0)
    assert lake.path("AXM") == lake.root / "AXM.parquet"
    assert lake.root.parts[-3:] == ("data", "lake", "news")
    stored = lake.read("AXM")
    assert list(stored.columns) == NEWS_SCHEMA.names
    assert list(stored["headline"]) == ["AXM wins", "AXM warns of weak demand"]
    assert str(stored["published_at"].dtype) == "datetime64[us, UTC]"


def test_upserting_the_same_rows_again_adds_nothing(lake: NewsLake) -> None:
    lake.upsert(_news("AXM", ROWS))
    again = _news("AXM", ROWS)
    again["created_timestamp"] = again["created_timestamp"] + pd.Timedelta(days=1)
    assert lake.upsert(again) == UpsertResult(new_rows=0, already_present=2, conflicts=0)
    assert len(lake.read("AXM")) == 2


def test_repeats_within_one_offer_count_as_present(lake: NewsLake) -> None:
    offer = _news("AXM", [ROWS[0], ROWS[0]])
    assert lake.upsert(offer) == UpsertResult(new_rows=1, already_present=1, conflicts=0)


def test_the_same_headline_from_another_source_is_another_row(lake: NewsLake) -> None:
    lake.upsert(_news("AXM", ROWS))
    assert lake.upsert(_news("AXM", ROWS[:1], source="other")).new_rows == 1
    assert sorted(lake.read("AXM")["source"]) == ["other", "test", "test"]


def test_reading_a_symbol_without_news_gives_an_empty_contract_frame(lake: NewsLake) -> None:
    empty = lake.read("NONE")
    assert empty.empty and list(empty.columns) == NEWS_SCHEMA.names
    assert lake.symbols() == []


def test_symbols_with_unsafe_characters_are_escaped_in_file_names(lake: NewsLake) -> None:
    lake.upsert(_news("BRK/B", ROWS))
    assert lake.path("BRK/B").name == "BRK%2FB.parquet"
    assert lake.symbols() == ["BRK/B"]
    assert len(lake.read("BRK/B")) == 2
