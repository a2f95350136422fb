"""Content hashes a run records: the lake files it read, the rows it wrote per view and symbol.

A lake file is named by its sha256. A written range is named by a digest of its values
(column names, timestamps as integers, features as float64 bytes), independent of Parquet's
encoding and of rows outside the range, so a replay can say whether it reproduced them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from axiom_features.lakes.paths import fundamentals_dir, news_root
from axiom_features.lakes.provenance import file_sha256
from axiom_features.paths import RepoPaths


def input_folders(repo: RepoPaths) -> list[Path]:
    """The lakes a transform may read: bars, fundamentals, news."""
    return [repo.bars, fundamentals_dir(repo), news_root(repo)]


def input_hashes(repo: RepoPaths) -> dict[str, str]:
    """``{path under the repo: sha256}`` of every lake file a transform may read."""
    hashes = {}
    for folder in input_folders(repo):
        if folder.is_dir():
            for path in sorted(folder.glob("*.parquet")):
                hashes[path.relative_to(repo.root).as_posix()] = file_sha256(path)
    return hashes


def changed_inputs(repo: RepoPaths, recorded: dict[str, str]) -> list[str]:
    """Recorded inputs that are gone or whose bytes differ now."""
    changed = []
    for name, digest in sorted(recorded.items()):
        path = repo.root / name
        if not path.is_file() or file_sha256(path) != digest:
            changed.append(name)
    return changed


def time_bound(moment: datetime) -> pa.Scalar:
    """``moment`` as a UTC microsecond timestamp scalar, to compare with event times."""
    return pa.scalar(moment, pa.timestamp("us", tz="UTC"))


def rows_in_range(table: pa.Table, start: pa.Scalar | None, end: pa.Scalar | None) -> pa.Table:
    """Rows with ``start <= event_timestamp <= end`` (an open bound is None)."""
    stamps = table.column("event_timestamp")
    if table.num_rows == 0 or _all_between(stamps, start, end):
        return table
    keep = pa.array([True] * table.num_rows)
    if start is not None:
        keep = pc.and_(keep, pc.greater_equal(stamps, start.cast(stamps.type)))
    if end is not None:
        keep = pc.and_(keep, pc.less_equal(stamps, end.cast(stamps.type)))
    return table.filter(keep)


def _all_between(stamps: pa.ChunkedArray, start: pa.Scalar | None, end: pa.Scalar | None) -> bool:
    bounds = pc.min_max(stamps)
    after = start is None or pc.greater_equal(bounds["min"], start.cast(stamps.type)).as_py()
    before = end is None or pc.less_equal(bounds["max"], end.cast(stamps.type)).as_py()
    return bool(after and before)


def values_digest(table: pa.Table, skip: Iterable[str] = ("created_timestamp",)) -> str:
    """sha256 over column names and values (timestamps as int64, features as float64)."""
    digest = hashlib.sha256()
    skipped = set(skip)
    for name in table.column_names:
        if name in skipped:
            continue
        digest.update(name.encode() + b"\0")
        column = table.column(name).combine_chunks()
        if pa.types.is_timestamp(column.type):
            column = column.cast(pa.int64())
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            digest.update("\0".join(column.to_pylist()).encode())
        else:
            digest.update(column.to_numpy(zero_copy_only=False).tobytes())
    return digest.hexdigest()
