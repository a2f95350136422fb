"""What changed in the lakes since a view's marks: the first row of each view to recompute.

New bars are the lake rows received after the mark (``created_timestamp`` newer than
``bars``); the earliest of their times is where the symbol's rows change, whether the bars
are the next day's, late ones or corrections (a corrected bar is stored with the time it
was received, and :mod:`axiom_features.lakes.history` marks its symbol too). A changed
fundamentals or news file recomputes the symbol's rows of the views reading it; views
reading the market change from the earliest bar change of any symbol.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from axiom_features.lakes.checksums import read_checked
from axiom_features.lakes.paths import fundamentals_dir, news_root
from axiom_features.lakes.provenance import file_sha256
from axiom_features.lakes.symbols import symbol_file
from axiom_features.paths import RepoPaths
from axiom_features.updates.watermarks import Mark

ALL_ROWS = pd.Timestamp("1678-01-01", tz="UTC")
"""``since`` of a view whose every row is recomputed."""


@dataclass(frozen=True)
class LakeTimes:
    """One symbol's bar times and receipt times, in time order (int64 nanoseconds, UTC)."""

    times: np.ndarray
    received: np.ndarray

    @property
    def through(self) -> pd.Timestamp:
        return pd.Timestamp(int(self.times[-1]), tz="UTC")

    @property
    def newest_receipt(self) -> pd.Timestamp:
        return pd.Timestamp(int(self.received.max()), tz="UTC")

    def changed_since(self, mark: str) -> pd.Timestamp | None:
        """The earliest bar received after ``mark``, or None."""
        newer = self.received > pd.Timestamp(mark).value
        return pd.Timestamp(int(self.times[newer].min()), tz="UTC") if newer.any() else None


def _nanos(column: pa.ChunkedArray) -> np.ndarray:
    return column.cast(pa.timestamp("ns", tz="UTC")).cast(pa.int64()).to_numpy()


def lake_times(repo: RepoPaths, symbol: str) -> LakeTimes:
    table = read_checked(
        symbol_file(repo.bars, symbol), columns=["event_timestamp", "created_timestamp"]
    )
    times, received = _nanos(table.column(0)), _nanos(table.column(1))
    order = np.argsort(times, kind="stable")
    return LakeTimes(times[order], received[order])


def side_files(repo: RepoPaths, symbol: str, needs: frozenset[str]) -> dict[str, Path | None]:
    """The symbol's fundamentals and news files (None: absent), for the inputs a view needs."""
    folders = {"fundamentals": fundamentals_dir(repo), "news": news_root(repo)}
    found: dict[str, Path | None] = {}
    for need, folder in folders.items():
        if need in needs:
            path = symbol_file(folder, symbol)
            found[need] = path if path.is_file() else None
    return found


def side_hashes(files: dict[str, Path | None]) -> dict[str, str | None]:
    """sha256 of each file of :func:`side_files`."""
    return {need: file_sha256(path) if path else None for need, path in files.items()}


def mark_of_stored(path: Path, version: str, sides: dict[str, Path | None]) -> Mark | None:
    """A mark for an offline table written without one (by the transform job): the bars it
    read were received before its oldest ``created_timestamp``, and a fundamentals or news
    file counts as read only when it was last written before that (else it is recomputed)."""
    if not path.is_file() or pq.read_schema(path).metadata.get(b"view_version") != version.encode():
        return None
    table = read_checked(path, columns=["event_timestamp", "created_timestamp"])
    if table.num_rows == 0:
        return None
    computed = pd.Timestamp(pc.min(table.column("created_timestamp")).as_py())
    hashes = {
        need: file_sha256(side) if side is not None and _written_before(side, computed) else "?"
        for need, side in sides.items()
    }
    through = pd.Timestamp(pc.max(table.column("event_timestamp")).as_py())
    return Mark(through=through.isoformat(), bars=computed.isoformat(), **hashes)


def _written_before(path: Path, moment: pd.Timestamp) -> bool:
    return pd.Timestamp(path.stat().st_mtime_ns, unit="ns", tz="UTC") < moment


def view_since(
    mark: Mark | None,
    lake: LakeTimes,
    sides: dict[str, str | None],
    corrected: pd.Timestamp | None,
    market: pd.Timestamp | None,
) -> pd.Timestamp | None:
    """The first row of one view and symbol to recompute; :data:`ALL_ROWS` for all, None
    when nothing it reads changed."""
    if mark is None or any(getattr(mark, need) != digest for need, digest in sides.items()):
        return ALL_ROWS
    candidates = [lake.changed_since(mark.bars), corrected, market]
    found = [c for c in candidates if c is not None]
    return min(found) if found else None
