"""The news lake: headlines, one Parquet file per symbol, sorted by publication time.

A row's key is (symbol, published_at, headline, source); every other value is a receipt
time, so storing a row whose key is already there adds nothing (and is never a conflict).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote, unquote

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from axiom_features.contracts.base import conform
from axiom_features.contracts.news import NEWS_KEY, NEWS_SCHEMA
from axiom_features.lake import UpsertResult, write_parquet_atomic
from axiom_features.news.paths import news_root
from axiom_features.paths import RepoPaths

SORT_ORDER: list[str] = ["published_at", "source", "headline"]


def empty_news() -> pd.DataFrame:
    """A frame with the news contract's columns and types and no rows."""
    return NEWS_SCHEMA.empty_table().to_pandas()


class NewsLake:
    """Headlines under ``data/lake/news``: ``<SYMBOL>.parquet`` per symbol, in the news contract."""

    def __init__(self, repo: RepoPaths) -> None:
        self.root = news_root(repo)

    def path(self, symbol: str) -> Path:
        """The file of ``symbol`` (characters unsafe in file names are %-escaped)."""
        return self.root / f"{quote(symbol, safe='')}.parquet"

    def symbols(self) -> list[str]:
        """Symbols with stored headlines, sorted."""
        if not self.root.exists():
            return []
        return sorted(unquote(p.stem) for p in self.root.glob("*.parquet"))

    def read(self, symbol: str) -> pd.DataFrame:
        """The headlines of ``symbol`` sorted by ``published_at`` (no rows if none stored)."""
        path = self.path(symbol)
        if not path.exists():
            return empty_news()
        return conform(pq.read_table(path), NEWS_SCHEMA, path).to_pandas()

    def upsert(self, news: pd.DataFrame | pa.Table) -> UpsertResult:
        """Add the rows whose key is not stored yet; ``conflicts`` is always 0."""
        frame = _incoming(news)
        total = UpsertResult(0, 0, 0)
        for symbol, rows in frame.groupby("symbol", sort=True):
            new = self._upsert_symbol(str(symbol), rows)
            total = UpsertResult(total.new_rows + new, total.already_present + len(rows) - new, 0)
        return total

    def _upsert_symbol(self, symbol: str, rows: pd.DataFrame) -> int:
        stored = self.read(symbol)
        first = rows.drop_duplicates(list(NEWS_KEY), keep="first")
        known = first.merge(stored[list(NEWS_KEY)], on=list(NEWS_KEY), how="left", indicator=True)
        new = first[(known["_merge"] == "left_only").to_numpy()]
        if len(new):
            merged = pd.concat([stored, new], ignore_index=True) if len(stored) else new
            merged = merged.sort_values(SORT_ORDER, kind="stable")
            table = pa.Table.from_pandas(merged, schema=NEWS_SCHEMA, preserve_index=False)
            write_parquet_atomic(table, self.path(symbol))
        return len(new)


def _incoming(news: pd.DataFrame | pa.Table) -> pd.DataFrame:
    if isinstance(news, pd.DataFrame):
        table = pa.Table.from_pandas(
            news[NEWS_SCHEMA.names], schema=NEWS_SCHEMA, preserve_index=False
        )
    else:
        table = conform(news, NEWS_SCHEMA, "news offered to the lake")
    return table.to_pandas()
