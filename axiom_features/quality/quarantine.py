"""The quarantine: rows the gate held back, one Parquet file per run, with their reasons.

Each row keeps where it came from (file and line), the rules it failed and the original
values as read (``raw_record``, JSON), so it can be inspected, fixed and re-imported.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from axiom_features.contracts import QUARANTINE_SCHEMA, conform
from axiom_features.lakes.bars import write_parquet_atomic
from axiom_features.lakes.transaction import Transaction
from axiom_features.paths import RepoPaths


def _json_value(value: Any) -> Any:
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else str(value)
    if isinstance(value, datetime | date | pd.Timestamp):
        return value.isoformat()
    if isinstance(value, str | int | float | bool):
        return value
    return str(value)


def json_records(frame: pd.DataFrame) -> list[str]:
    """Each row of ``frame`` as a JSON object of its values (missing values as null)."""
    names = [str(c) for c in frame.columns]
    return [
        json.dumps(dict(zip(names, map(_json_value, row), strict=True)), ensure_ascii=False)
        for row in frame.itertuples(index=False, name=None)
    ]


def quarantine_rows(
    rejected: pd.DataFrame,
    *,
    run_id: str,
    quarantined_at: datetime,
    source_file: Sequence[str],
    source_line: Sequence[int],
    raw_record: Sequence[str],
) -> pa.Table:
    """Rejected bars (contract columns + ``failed_rules``) as a table in the quarantine contract."""
    n = len(rejected)
    frame = rejected.reset_index(drop=True).assign(
        run_id=run_id,
        quarantined_at=pd.Series([pd.Timestamp(quarantined_at)] * n, dtype="datetime64[us, UTC]"),
        source_file=list(source_file),
        source_line=np.asarray(source_line, dtype=np.int64),
        raw_record=list(raw_record),
    )
    return pa.Table.from_pandas(
        frame[QUARANTINE_SCHEMA.names], schema=QUARANTINE_SCHEMA, preserve_index=False
    )


def quarantine_path(repo: RepoPaths, run_id: str) -> Path:
    return repo.quarantine / f"{run_id}.parquet"


def write_quarantine(
    rows: pa.Table, repo: RepoPaths, run_id: str, transaction: Transaction | None = None
) -> Path:
    """Store a run's quarantined rows as ``<run_id>.parquet`` (added to what the run stored).

    With a ``transaction`` the file is staged and published at its commit.
    """
    path = quarantine_path(repo, run_id)
    table = conform(rows, QUARANTINE_SCHEMA, "quarantine rows")
    current = transaction.current(path) if transaction is not None else path
    if current is not None and current.exists():
        stored = conform(pq.read_table(current), QUARANTINE_SCHEMA, path)
        table = pa.concat_tables([stored, table])
    if transaction is None:
        write_parquet_atomic(table, path)
    else:
        transaction.write_table(table, path)
    return path


HELD_IDENTITY: tuple[str, ...] = (
    "symbol",
    "event_timestamp",
    "source",
    "raw_record",
    "failed_rules",
)
"""Two held rows with these equal are the same row held again (e.g. a file imported twice)."""


def not_held_before(rows: pa.Table, repo: RepoPaths, run_id: str) -> pa.Table:
    """``rows`` without those an earlier run already holds, so re-imports add no duplicates."""
    earlier = read_quarantine(repo)
    earlier = earlier[earlier["run_id"] != run_id]
    if earlier.empty or not rows.num_rows:
        return rows
    frame = rows.to_pandas()
    columns = list(HELD_IDENTITY)
    seen = pd.MultiIndex.from_frame(earlier[columns].astype(str))
    mine = pd.MultiIndex.from_frame(frame[columns].astype(str))
    return rows.filter(pa.array(~mine.isin(seen)))


def read_quarantine(repo: RepoPaths, run_id: str | None = None) -> pd.DataFrame:
    """Every quarantined row (or one run's), oldest run first, in the quarantine contract."""
    pattern = f"{run_id}.parquet" if run_id else "*.parquet"
    files = sorted(repo.quarantine.glob(pattern)) if repo.quarantine.exists() else []
    tables = [conform(pq.read_table(p), QUARANTINE_SCHEMA, p) for p in files]
    table = pa.concat_tables(tables) if tables else QUARANTINE_SCHEMA.empty_table()
    return table.to_pandas()
