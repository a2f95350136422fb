"""Symbol ⇄ file name: a file name may be encoded, the symbol itself never is.

A symbol's file is ``<encoded>.parquet`` inside its folder, whatever the symbol holds: every
character outside ``[A-Za-z0-9_.-]`` is %-escaped (so ``/`` and ``..`` cannot leave the
folder), a leading dot too (no hidden files), and a name too long for the file system
becomes ``~<sha256>``. Readers take the symbol from the data (the ``symbol`` column), so the
encoding never reaches a table, PostgreSQL or the online store.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import quote, unquote

import pyarrow.parquet as pq

from axiom_features.storage.store import Storage

MAX_STEM_BYTES = 200
"""Encoded names longer than this are hashed (file systems allow 255 bytes per name)."""
HASHED = "~"


def file_stem(symbol: str) -> str:
    """The file-name stem of ``symbol`` (no folder, no suffix)."""
    stem = quote(symbol, safe="").replace("~", "%7E")
    if stem.startswith("."):
        stem = "%2E" + stem[1:]
    if len(stem.encode()) > MAX_STEM_BYTES:
        return HASHED + hashlib.sha256(symbol.encode("utf-8", "surrogatepass")).hexdigest()
    return stem


def symbol_file(folder: Path, symbol: str) -> Path:
    """``folder/<encoded symbol>.parquet``; never a path outside ``folder``."""
    path = folder / f"{file_stem(symbol)}.parquet"
    if path.parent != folder:
        raise ValueError(f"symbol {symbol!r} does not name a file in {folder}")
    return path


def symbol_of(path: Path, storage: Storage | None = None) -> str:
    """The symbol a file holds: decoded from its name, or read from a hashed file's data
    (on ``storage``, else this machine's disk)."""
    if path.stem.startswith(HASHED):
        if storage is not None:
            column = storage.read_table(path, columns=["symbol"]).column(0)
        else:
            column = pq.ParquetFile(path).read_row_group(0, columns=["symbol"]).column(0)
        return str(column[0].as_py())
    return unquote(path.stem)


def stored_symbols(folder: Path, storage: Storage | None = None) -> list[str]:
    """Every symbol with a file in ``folder`` (on ``storage``, else this disk), sorted."""
    if storage is not None:
        return sorted(symbol_of(p, storage) for p in storage.files(folder))
    if not folder.is_dir():
        return []
    return sorted(symbol_of(p) for p in folder.glob("*.parquet"))
