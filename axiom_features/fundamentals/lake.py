"""The fundamentals lake: one Parquet file per symbol, every filing kept, written atomically.

A row's key is (symbol, fiscal_period, filing_timestamp), so a restatement (a later filing
of the same quarter) is a new row next to the original. Offering a row whose key is stored
adds nothing: the stored row is kept, and differing values are counted as a conflict.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote, unquote

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from axiom_features.contracts.base import conform
from axiom_features.contracts.fundamentals import (
    FUNDAMENTALS_KEY,
    FUNDAMENTALS_SCHEMA,
    NUMERIC_FUNDAMENTAL_COLUMNS,
)
from axiom_features.fundamentals.paths import fundamentals_dir
from axiom_features.lake import UpsertResult, write_parquet_atomic
from axiom_features.paths import RepoPaths

SORT_ORDER: list[str] = ["filing_timestamp", "fiscal_period"]


def empty_fundamentals() -> pd.DataFrame:
    """A frame with the contract's columns and dtypes and no rows."""
    return FUNDAMENTALS_SCHEMA.empty_table().to_pandas()


class FundamentalsLake:
    """Filings under ``data/lake/fundamentals``: ``<SYMBOL>.parquet``, sorted by filing time."""

    def __init__(self, repo: RepoPaths) -> None:
        self.root = fundamentals_dir(repo)

    def path(self, symbol: str) -> Path:
        """The file of ``symbol`` (characters unsafe in file names are %-escaped)."""
        return self.root / f"{quote(symbol, safe='')}.parquet"

    def symbols(self) -> list[str]:
        """Symbols with stored filings, sorted."""
        if not self.root.exists():
            return []
        return sorted(unquote(p.stem) for p in self.root.glob("*.parquet"))

    def read(self, symbol: str) -> pd.DataFrame:
        """Every stored filing of ``symbol`` sorted by ``filing_timestamp`` (empty if none)."""
        path = self.path(symbol)
        if not path.exists():
            return empty_fundamentals()
        return conform(pq.read_table(path), FUNDAMENTALS_SCHEMA, path).to_pandas()

    def upsert(self, filings: pa.Table | pd.DataFrame) -> UpsertResult:
        """Add filings whose key is not stored yet; report what was new, present, conflicting."""
        frame = _incoming(filings)
        total = UpsertResult(0, 0, 0)
        for symbol, rows in frame.groupby("symbol", sort=True):
            result = self._upsert_symbol(str(symbol), rows)
            total = UpsertResult(*(a + b for a, b in zip(total, result, strict=True)))
        return total

    def _upsert_symbol(self, symbol: str, rows: pd.DataFrame) -> UpsertResult:
        stored = self.read(symbol)
        key = list(FUNDAMENTALS_KEY)
        repeat = rows.duplicated(key, keep="first").to_numpy()
        first, later = rows[~repeat], rows[repeat]
        present, conflict = _match(first, stored)
        new = first[~present]
        merged = pd.concat([stored, new], ignore_index=True) if len(stored) else new
        _, later_conflict = _match(later, merged)
        if len(new):
            merged = merged.sort_values(SORT_ORDER, kind="stable")
            table = pa.Table.from_pandas(merged, schema=FUNDAMENTALS_SCHEMA, preserve_index=False)
            write_parquet_atomic(table, self.path(symbol))
        return UpsertResult(
            new_rows=len(new),
            already_present=int(present.sum()) + len(later),
            conflicts=int(conflict.sum()) + int(later_conflict.sum()),
        )


def _incoming(filings: pa.Table | pd.DataFrame) -> pd.DataFrame:
    if isinstance(filings, pd.DataFrame):
        table = pa.Table.from_pandas(
            filings[FUNDAMENTALS_SCHEMA.names], schema=FUNDAMENTALS_SCHEMA, preserve_index=False
        )
    else:
        table = conform(filings, FUNDAMENTALS_SCHEMA, "fundamentals offered to the lake")
    return table.to_pandas()


def _match(rows: pd.DataFrame, stored: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """For each row: is its key stored, and do its values differ from the stored row's?"""
    if not len(rows) or not len(stored):
        return np.zeros(len(rows), dtype=bool), np.zeros(len(rows), dtype=bool)
    key = list(FUNDAMENTALS_KEY)
    values = ["period_end", *NUMERIC_FUNDAMENTAL_COLUMNS]
    reference = stored[key + values].drop_duplicates(key)
    joined = rows[key + values].merge(
        reference, on=key, how="left", suffixes=("", "_stored"), indicator=True
    )
    present = (joined["_merge"] == "both").to_numpy()
    differs = np.zeros(len(rows), dtype=bool)
    for column in values:
        mine, theirs = joined[column], joined[f"{column}_stored"]
        differs |= ~((mine == theirs) | (mine.isna() & theirs.isna())).to_numpy()
    return present, present & differs
