"""Replaced bar versions and the symbols whose features must be recomputed.

When a correction replaces a stored bar, the old version is kept in
``data/lake/bars_history/<SYMBOL>.parquet`` with ``replaced_at`` (when it stopped being
current; its ``created_timestamp`` says when it became known) and the run that replaced it,
so every version's period of validity can be reconstructed. ``data/lake/recompute.json``
lists, per symbol, the earliest bar whose features are out of date; the transform job
clears a symbol's mark once it has recomputed it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from axiom_features.lakes.symbols import symbol_file
from axiom_features.lakes.transaction import Transaction
from axiom_features.paths import RepoPaths
from axiom_features.storage.repo import storage_of


def history_dir(repo: RepoPaths) -> Path:
    return repo.data / "lake" / "bars_history"


def recompute_path(repo: RepoPaths) -> Path:
    return repo.data / "lake" / "recompute.json"


def keep_replaced(
    repo: RepoPaths,
    replaced: pd.DataFrame,
    *,
    run_id: str,
    replaced_at: pd.Timestamp,
    transaction: Transaction,
) -> None:
    """Append the replaced versions to each symbol's history (staged in ``transaction``)."""
    for symbol, rows in replaced.groupby("symbol", sort=True):
        path = symbol_file(history_dir(repo), str(symbol))
        new = rows.assign(replaced_at=replaced_at, replaced_by=run_id)
        current = transaction.current(path)
        if current is not None:
            new = pd.concat([pq.read_table(current).to_pandas(), new], ignore_index=True)
        transaction.write_table(pa.Table.from_pandas(new, preserve_index=False), path)


def read_history(repo: RepoPaths, symbol: str) -> pd.DataFrame:
    """Every replaced version of ``symbol``'s bars (empty when none)."""
    path = symbol_file(history_dir(repo), symbol)
    storage = storage_of(repo)
    return storage.read_table(path).to_pandas() if storage.exists(path) else pd.DataFrame()


def recompute_marks(repo: RepoPaths) -> dict[str, str]:
    """Symbol → ISO time of the earliest bar whose features are out of date."""
    path = recompute_path(repo)
    storage = storage_of(repo)
    return json.loads(storage.read_bytes(path)) if storage.exists(path) else {}


def mark_for_recompute(repo: RepoPaths, earliest: dict[str, pd.Timestamp]) -> None:
    marks = recompute_marks(repo)
    for symbol, when in earliest.items():
        stamp = pd.Timestamp(when).isoformat()
        marks[symbol] = min(marks.get(symbol, stamp), stamp)
    _write(repo, marks)


def clear_marks(repo: RepoPaths, symbols: Iterable[str]) -> None:
    marks = recompute_marks(repo)
    if not marks:
        return
    for symbol in symbols:
        marks.pop(symbol, None)
    _write(repo, marks)


def _write(repo: RepoPaths, marks: dict[str, str]) -> None:
    path = recompute_path(repo)
    storage = storage_of(repo)
    if not storage.in_place:
        text = json.dumps(marks, indent=2, sort_keys=True, ensure_ascii=False)
        storage.write_bytes(path, text.encode())
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(marks, indent=2, sort_keys=True, ensure_ascii=False))
    os.replace(tmp, path)
