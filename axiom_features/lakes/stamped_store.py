"""A symbol store whose files also keep each row's provenance stamp.

The bar, fundamentals and news lakes store their contract's columns plus ``ingest_run``,
``ingest_file`` and ``ingest_line`` (:mod:`axiom_features.lakes.provenance`). Reads for
computing (:meth:`StampedStore.read_contract`) return the contract's columns only;
:meth:`StampedStore.load` returns the stamps too. Rows offered without stamps (a frame
generated in memory, an import with lineage off) and files written before stamping read
with null stamps.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import pyarrow as pa

from axiom_features.contracts import conform
from axiom_features.lakes.checksums import read_checked
from axiom_features.lakes.provenance import PROVENANCE_FIELDS, with_provenance_columns
from axiom_features.lakes.symbol_store import SymbolStore
from axiom_features.storage.store import Storage


def stamped_schema(contract: pa.Schema) -> pa.Schema:
    """``contract`` plus the provenance columns (the contract's metadata kept)."""
    return pa.schema([*contract, *PROVENANCE_FIELDS], metadata=contract.metadata)


class StampedStore(SymbolStore):
    """Rows of ``contract`` with their provenance stamps, one Parquet file per symbol."""

    def __init__(
        self,
        root: Path,
        contract: pa.Schema,
        *,
        key: Sequence[str],
        compared: Sequence[str],
        sort_by: Sequence[str],
        name: str,
        storage: Storage,
    ) -> None:
        super().__init__(
            root,
            stamped_schema(contract),
            key=key,
            compared=compared,
            sort_by=sort_by,
            name=name,
            storage=storage,
        )
        self.contract = contract

    def load(self, symbol: str) -> pa.Table | None:
        """Stored rows of ``symbol`` with their stamps (null for rows stored without)."""
        path = self.path(symbol)
        if not self.storage.exists(path):
            return None
        table = read_checked(path, storage=self.storage)
        return conform(with_provenance_columns(table), self.schema, path)

    def read_contract(self, symbol: str) -> pd.DataFrame:
        """The stored rows of ``symbol`` in the contract's columns, in file order."""
        return self.read_symbol(symbol)[self.contract.names]

    def _incoming(self, rows: pa.Table | pd.DataFrame) -> pd.DataFrame:
        if isinstance(rows, pd.DataFrame):
            missing = [f.name for f in PROVENANCE_FIELDS if f.name not in rows]
            rows = rows.assign(**dict.fromkeys(missing)) if missing else rows
        else:
            rows = with_provenance_columns(rows)
        return super()._incoming(rows)
