"""The bar lake: clean bars, one Parquet file per symbol, sorted by time, written atomically.

A row's key is (symbol, event_timestamp, source). Storing a row whose key is already there
adds nothing: the stored row is kept, and a differing value is counted as a conflict rather
than overwritten.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import NamedTuple
from urllib.parse import quote, unquote

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from axiom_features.contracts import BAR_KEY, BAR_SCHEMA, NUMERIC_BAR_COLUMNS, conform
from axiom_features.paths import RepoPaths

TimeBound = datetime | pd.Timestamp | str | None


class UpsertResult(NamedTuple):
    """What an upsert did. ``new_rows + already_present`` is the number of rows offered."""

    new_rows: int
    already_present: int
    conflicts: int
    """Rows among ``already_present`` whose values differ from the stored row (stored kept)."""


def write_parquet_atomic(table: pa.Table, path: Path) -> None:
    """Write ``table`` to ``path`` via a temporary file and ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        pq.write_table(table, tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _utc(bound: TimeBound) -> pd.Timestamp | None:
    if bound is None:
        return None
    ts = pd.Timestamp(bound)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


class BarLake:
    """Clean bars under ``repo.bars``: ``<SYMBOL>.parquet`` per symbol, in the bar contract."""

    def __init__(self, repo: RepoPaths) -> None:
        self.root = repo.bars

    def path(self, symbol: str) -> Path:
        """The file of ``symbol`` (characters unsafe in file names are %-escaped)."""
        return self.root / f"{quote(symbol, safe='')}.parquet"

    def symbols(self) -> list[str]:
        """Symbols with stored bars, sorted."""
        if not self.root.exists():
            return []
        return sorted(unquote(p.stem) for p in self.root.glob("*.parquet"))

    def read(
        self,
        symbols: Iterable[str] | None = None,
        start: TimeBound = None,
        end: TimeBound = None,
    ) -> pa.Table:
        """Bars of ``symbols`` (default all) with ``start <= event_timestamp <= end``.

        Naive bounds are UTC. Symbols without stored bars contribute no rows.
        """
        names = self.symbols() if symbols is None else list(symbols)
        lo, hi = _utc(start), _utc(end)
        tables = []
        for symbol in names:
            table = self._load(symbol)
            if table is None:
                continue
            ts = table["event_timestamp"]
            if lo is not None:
                table = table.filter(pc.greater_equal(ts, pa.scalar(lo, ts.type)))
                ts = table["event_timestamp"]
            if hi is not None:
                table = table.filter(pc.less_equal(ts, pa.scalar(hi, ts.type)))
            tables.append(table)
        return pa.concat_tables(tables) if tables else BAR_SCHEMA.empty_table()

    def upsert(self, bars: pa.Table | pd.DataFrame) -> UpsertResult:
        """Add the rows whose key is not stored yet; returns what was new, present, conflicting."""
        frame = self._incoming(bars)
        total = UpsertResult(0, 0, 0)
        for symbol, rows in frame.groupby("symbol", sort=True):
            result = self._upsert_symbol(str(symbol), rows)
            total = UpsertResult(*(a + b for a, b in zip(total, result, strict=True)))
        return total

    def _incoming(self, bars: pa.Table | pd.DataFrame) -> pd.DataFrame:
        table = (
            pa.Table.from_pandas(bars, schema=BAR_SCHEMA, preserve_index=False)
            if isinstance(bars, pd.DataFrame)
            else conform(bars, BAR_SCHEMA, "bars offered to the lake")
        )
        return table.to_pandas()

    def _load(self, symbol: str) -> pa.Table | None:
        path = self.path(symbol)
        if not path.exists():
            return None
        return conform(pq.read_table(path), BAR_SCHEMA, path)

    def _upsert_symbol(self, symbol: str, rows: pd.DataFrame) -> UpsertResult:
        loaded = self._load(symbol)
        stored = loaded.to_pandas() if loaded is not None else BAR_SCHEMA.empty_table().to_pandas()
        repeat = rows.duplicated(list(BAR_KEY), keep="first").to_numpy()
        first, later = rows[~repeat], rows[repeat]
        present, conflict = _match(first, stored)
        new = first[~present]
        merged = pd.concat([stored, new], ignore_index=True) if len(stored) else new
        # Later copies within the offer meet either a stored row or a first copy just added.
        _, later_conflict = _match(later, merged)
        if len(new):
            merged = merged.sort_values(["event_timestamp", "source"], kind="stable")
            table = pa.Table.from_pandas(merged, schema=BAR_SCHEMA, preserve_index=False)
            write_parquet_atomic(table, self.path(symbol))
        return UpsertResult(
            new_rows=len(new),
            already_present=int(present.sum()) + len(later),
            conflicts=int(conflict.sum()) + int(later_conflict.sum()),
        )


def _match(rows: pd.DataFrame, stored: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """For each row: is its key stored, and do its values differ from the stored row's?"""
    if not len(rows) or not len(stored):
        return np.zeros(len(rows), dtype=bool), np.zeros(len(rows), dtype=bool)
    key = list(BAR_KEY)
    reference = stored[[*key, *NUMERIC_BAR_COLUMNS]].drop_duplicates(key)
    joined = rows[[*key, *NUMERIC_BAR_COLUMNS]].merge(
        reference, on=key, how="left", suffixes=("", "_stored"), indicator=True
    )
    present = (joined["_merge"] == "both").to_numpy()
    differs = np.zeros(len(rows), dtype=bool)
    for column in NUMERIC_BAR_COLUMNS:
        mine, theirs = joined[column], joined[f"{column}_stored"]
        differs |= ~((mine == theirs) | (mine.isna() & theirs.isna())).to_numpy()
    return present, present & differs
