"""A keyed table stored as one Parquet file per symbol, sorted, written atomically.

The bar, fundamentals and news lakes are configurations of :class:`SymbolStore`. Storing a row
whose key is already there adds nothing: the stored row is kept, and a row whose compared
values differ from the stored row's is counted as a conflict rather than overwritten.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from axiom_features.contracts import conform
from axiom_features.lakes.checksums import read_checked, record_checksum, write_checked
from axiom_features.lakes.symbols import stored_symbols, symbol_file
from axiom_features.lakes.transaction import Transaction
from axiom_features.storage.store import Storage


class UpsertResult(NamedTuple):
    """What an upsert did. ``new_rows + already_present`` is the number of rows offered."""

    new_rows: int
    already_present: int
    conflicts: int
    """Rows among ``already_present`` whose values differ from the stored row (stored kept)."""

    def plus(self, other: UpsertResult) -> UpsertResult:
        """Counts of both upserts together."""
        return UpsertResult(*(a + b for a, b in zip(self, other, strict=True)))


def write_parquet_atomic(table: pa.Table, path: Path) -> None:
    """Write ``table`` to ``path`` via a temporary file and ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        pq.write_table(table, tmp)
        os.replace(tmp, path)
        record_checksum(path)
    finally:
        tmp.unlink(missing_ok=True)


class SymbolStore:
    """Rows of ``schema`` under ``root``: ``<SYMBOL>.parquet`` each, unique on ``key``.

    ``compared`` are the columns whose difference makes an already-stored key a conflict;
    ``sort_by`` orders each file; ``storage`` is where the files are (``root`` names them).
    """

    def __init__(
        self,
        root: Path,
        schema: pa.Schema,
        *,
        key: Sequence[str],
        compared: Sequence[str],
        sort_by: Sequence[str],
        name: str,
        storage: Storage,
    ) -> None:
        self.root = root
        self.storage = storage
        self.schema = schema
        self.key = list(key)
        self.compared = list(compared)
        self.sort_by = list(sort_by)
        self.name = name

    def path(self, symbol: str) -> Path:
        """The file of ``symbol`` (its name encoded by :func:`symbol_file`)."""
        return symbol_file(self.root, symbol)

    def symbols(self) -> list[str]:
        """Symbols with a stored file, sorted."""
        return stored_symbols(self.root, self.storage)

    def empty(self) -> pd.DataFrame:
        """A frame with the schema's columns and dtypes and no rows."""
        return self.schema.empty_table().to_pandas()

    def load(self, symbol: str) -> pa.Table | None:
        """The stored rows of ``symbol``, checked against the schema; None if there are none."""
        path = self.path(symbol)
        if not self.storage.exists(path):
            return None
        return conform(read_checked(path, storage=self.storage), self.schema, path)

    def read_symbol(self, symbol: str) -> pd.DataFrame:
        """The stored rows of ``symbol`` in file order (empty if none)."""
        table = self.load(symbol)
        return self.empty() if table is None else table.to_pandas()

    def upsert(
        self, rows: pa.Table | pd.DataFrame, transaction: Transaction | None = None
    ) -> UpsertResult:
        """Add the rows whose key is not stored yet; returns what was new, present, conflicting.

        With a ``transaction`` the new files are staged in it and published at its commit.
        """
        frame = self._incoming(rows)
        total = UpsertResult(0, 0, 0)
        for symbol, group in frame.groupby("symbol", sort=True):
            total = total.plus(self._upsert_symbol(str(symbol), group, transaction))
        return total

    def _incoming(self, rows: pa.Table | pd.DataFrame) -> pd.DataFrame:
        if isinstance(rows, pd.DataFrame):
            table = pa.Table.from_pandas(
                rows[self.schema.names], schema=self.schema, preserve_index=False
            )
        else:
            table = conform(rows, self.schema, f"{self.name} offered to the lake")
        return table.to_pandas()

    def _upsert_symbol(
        self, symbol: str, rows: pd.DataFrame, transaction: Transaction | None
    ) -> UpsertResult:
        stored = self._stored(symbol, transaction)
        repeat = rows.duplicated(self.key, keep="first").to_numpy()
        first, later = rows[~repeat], rows[repeat]
        present, conflict = self._match(first, stored)
        new = first[~present]
        merged = pd.concat([stored, new], ignore_index=True) if len(stored) else new
        # Later copies within the offer meet either a stored row or a first copy just added.
        _, later_conflict = self._match(later, merged)
        if len(new):
            merged = merged.sort_values(self.sort_by, kind="stable")
            table = pa.Table.from_pandas(merged, schema=self.schema, preserve_index=False)
            if transaction is None:
                self._write(table, self.path(symbol))
            else:
                transaction.write_table(table, self.path(symbol))
        return UpsertResult(
            new_rows=len(new),
            already_present=int(present.sum()) + len(later),
            conflicts=int(conflict.sum()) + int(later_conflict.sum()),
        )

    def replace_rows(
        self, rows: pd.DataFrame, transaction: Transaction | None = None
    ) -> pd.DataFrame:
        """Store ``rows`` in place of the stored rows with their keys; returns those replaced."""
        frame = self._incoming(rows)
        replaced = []
        for symbol, group in frame.groupby("symbol", sort=True):
            stored = self._stored(str(symbol), transaction)
            keys = pd.MultiIndex.from_frame(group[self.key])
            hit = pd.MultiIndex.from_frame(stored[self.key]).isin(keys)
            replaced.append(stored[hit])
            merged = pd.concat([stored[~hit], group], ignore_index=True)
            merged = merged.sort_values(self.sort_by, kind="stable")
            table = pa.Table.from_pandas(merged, schema=self.schema, preserve_index=False)
            if transaction is None:
                self._write(table, self.path(str(symbol)))
            else:
                transaction.write_table(table, self.path(str(symbol)))
        return pd.concat(replaced, ignore_index=True) if replaced else self.empty()

    def _write(self, table: pa.Table, path: Path) -> None:
        """Publish ``table`` as ``path``'s content, atomically, with its checksum."""
        if self.storage.in_place:
            write_parquet_atomic(table, path)
        else:
            write_checked(self.storage, table, path)

    def _stored(self, symbol: str, transaction: Transaction | None) -> pd.DataFrame:
        """The rows of ``symbol`` as stored, or as already staged in ``transaction``."""
        path = self.path(symbol)
        staged = transaction.staged.get(path) if transaction is not None else None
        if staged is None:
            return self.read_symbol(symbol)
        return conform(pq.read_table(staged), self.schema, path).to_pandas()

    def _match(self, rows: pd.DataFrame, stored: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """For each row: is its key stored, and do its compared values differ from the stored?"""
        if not len(rows) or not len(stored):
            return np.zeros(len(rows), dtype=bool), np.zeros(len(rows), dtype=bool)
        columns = self.key + self.compared
        reference = stored[columns].drop_duplicates(self.key)
        joined = rows[columns].merge(
            reference, on=self.key, how="left", suffixes=("", "_stored"), indicator=True
        )
        present = (joined["_merge"] == "both").to_numpy()
        differs = np.zeros(len(rows), dtype=bool)
        for column in self.compared:
            mine, theirs = joined[column], joined[f"{column}_stored"]
            differs |= ~((mine == theirs) | (mine.isna() & theirs.isna())).to_numpy()
        return present, present & differs
