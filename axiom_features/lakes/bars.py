"""The bar lake: clean bars, one Parquet file per symbol, sorted by time, written atomically.

A row's key is (symbol, event_timestamp, source). Storing a row whose key is already there
adds nothing: the stored row is kept, and a differing value is counted as a conflict rather
than overwritten.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from axiom_features.contracts import BAR_KEY, BAR_SCHEMA, NUMERIC_BAR_COLUMNS
from axiom_features.lakes.stamped_store import StampedStore
from axiom_features.lakes.symbol_store import UpsertResult, write_parquet_atomic
from axiom_features.paths import RepoPaths
from axiom_features.storage.repo import storage_of

__all__ = ["BarLake", "UpsertResult", "write_parquet_atomic"]

TimeBound = datetime | pd.Timestamp | str | None


def _utc(bound: TimeBound) -> pd.Timestamp | None:
    if bound is None:
        return None
    ts = pd.Timestamp(bound)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


class BarLake(StampedStore):
    """Clean bars under ``repo.bars``: ``<SYMBOL>.parquet`` per symbol, in the bar contract,
    each row stamped with the import run, file number and line it came from
    (:mod:`axiom_features.lakes.provenance`)."""

    def __init__(self, repo: RepoPaths) -> None:
        super().__init__(
            repo.bars,
            BAR_SCHEMA,
            key=BAR_KEY,
            compared=NUMERIC_BAR_COLUMNS,
            sort_by=("event_timestamp", "source"),
            name="bars",
            storage=storage_of(repo),
        )

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
            table = self.load(symbol)
            if table is None:
                continue
            ts = table["event_timestamp"]
            if lo is not None:
                table = table.filter(pc.greater_equal(ts, pa.scalar(lo, ts.type)))
                ts = table["event_timestamp"]
            if hi is not None:
                table = table.filter(pc.less_equal(ts, pa.scalar(hi, ts.type)))
            tables.append(table)
        if not tables:
            return BAR_SCHEMA.empty_table()
        return pa.concat_tables(tables).select(BAR_SCHEMA.names).cast(BAR_SCHEMA)
