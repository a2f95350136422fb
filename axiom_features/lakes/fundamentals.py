"""The fundamentals lake: one Parquet file per symbol, every filing kept, written atomically.

A row's key is (symbol, fiscal_period, filing_timestamp), so a restatement (a later filing
of the same quarter) is a new row next to the original. Offering a row whose key is stored
adds nothing: the stored row is kept, and differing values are counted as a conflict. Each
row keeps the import run, file number and line it came from (:mod:`.stamped_store`).
"""

from __future__ import annotations

import pandas as pd

from axiom_features.contracts.fundamentals import (
    FUNDAMENTALS_KEY,
    FUNDAMENTALS_SCHEMA,
    NUMERIC_FUNDAMENTAL_COLUMNS,
)
from axiom_features.lakes.paths import fundamentals_dir
from axiom_features.lakes.stamped_store import StampedStore
from axiom_features.paths import RepoPaths
from axiom_features.storage.repo import storage_of

SORT_ORDER: list[str] = ["filing_timestamp", "fiscal_period"]


def empty_fundamentals() -> pd.DataFrame:
    """A frame with the contract's columns and dtypes and no rows."""
    return FUNDAMENTALS_SCHEMA.empty_table().to_pandas()


class FundamentalsLake(StampedStore):
    """Filings under ``data/lake/fundamentals``: ``<SYMBOL>.parquet``, sorted by filing time,
    each with its provenance stamp."""

    def __init__(self, repo: RepoPaths) -> None:
        super().__init__(
            fundamentals_dir(repo),
            FUNDAMENTALS_SCHEMA,
            key=FUNDAMENTALS_KEY,
            compared=["period_end", *NUMERIC_FUNDAMENTAL_COLUMNS],
            sort_by=SORT_ORDER,
            name="fundamentals",
            storage=storage_of(repo),
        )

    def read(self, symbol: str) -> pd.DataFrame:
        """Every stored filing of ``symbol`` sorted by ``filing_timestamp`` (empty if none)."""
        return self.read_contract(symbol)
