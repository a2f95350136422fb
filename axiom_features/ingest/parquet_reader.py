"""Reads a Parquet file into a :class:`RawFile`; a stored pandas index becomes a column."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from axiom_features.ingest.errors import IngestError
from axiom_features.ingest.raw import RawFile


def read_parquet(path: Path) -> RawFile:
    """The file's rows with their row numbers (from 1)."""
    try:
        if path.stat().st_size == 0:
            raise IngestError(f"{path}: file is empty")
        table = pq.read_table(path)
        frame = table.to_pandas()
    except (pa.ArrowException, OSError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise IngestError(f"{path}: not a readable Parquet file ({reason})") from exc
    if frame.empty:
        raise IngestError(f"{path}: has no rows")
    notes = []
    if not isinstance(frame.index, pd.RangeIndex):
        names = [str(n) for n in frame.index.names if n is not None] or ["(unnamed)"]
        frame = frame.reset_index()
        notes.append(f"index {', '.join(names)} read as a column")
    frame.columns = [str(c) for c in frame.columns]
    lines = np.arange(1, len(frame) + 1, dtype=np.int64)
    return RawFile(path=path, frame=frame.reset_index(drop=True), lines=lines, notes=notes)
