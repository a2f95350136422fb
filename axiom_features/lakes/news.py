"""The news lake: headlines, one Parquet file per symbol, sorted by publication time.

A row's key is (symbol, published_at, headline, source); every other value is a receipt
time, so storing a row whose key is already there adds nothing (and is never a conflict).
Each row keeps the import run, file number and line it came from (:mod:`.stamped_store`).
"""

from __future__ import annotations

import pandas as pd

from axiom_features.contracts.news import NEWS_KEY, NEWS_SCHEMA
from axiom_features.lakes.paths import news_root
from axiom_features.lakes.stamped_store import StampedStore
from axiom_features.paths import RepoPaths
from axiom_features.storage.repo import storage_of

SORT_ORDER: list[str] = ["published_at", "source", "headline"]


def empty_news() -> pd.DataFrame:
    """A frame with the news contract's columns and types and no rows."""
    return NEWS_SCHEMA.empty_table().to_pandas()


class NewsLake(StampedStore):
    """Headlines under ``data/lake/news``: ``<SYMBOL>.parquet`` per symbol, in the news contract."""

    def __init__(self, repo: RepoPaths) -> None:
        super().__init__(
            news_root(repo),
            NEWS_SCHEMA,
            key=NEWS_KEY,
            compared=(),
            sort_by=SORT_ORDER,
            name="news",
            storage=storage_of(repo),
        )

    def read(self, symbol: str) -> pd.DataFrame:
        """The headlines of ``symbol`` sorted by ``published_at`` (no rows if none stored)."""
        return self.read_contract(symbol)
