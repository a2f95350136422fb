"""Where each lake row came from: a compact stamp per row and a file manifest per run.

Every bar stored in the lake carries ``ingest_run`` (the import run that stored it),
``ingest_file`` (the file's number within that run) and ``ingest_line`` (its physical line
in a CSV, row number in Parquet or in a frame). The run's manifest,
``data/lineage/files/<run>.json``, names each numbered file with its size and sha256, so a
row resolves to a vendor file, a line and the exact bytes that were read.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from axiom_features.paths import RepoPaths

PROVENANCE_FIELDS: tuple[pa.Field, ...] = (
    pa.field("ingest_run", pa.string()),
    pa.field("ingest_file", pa.int32()),
    pa.field("ingest_line", pa.int64()),
)
PROVENANCE_COLUMNS: tuple[str, ...] = tuple(f.name for f in PROVENANCE_FIELDS)


def provenance_enabled() -> bool:
    """Stamping is part of lineage: ``AXIOM_LINEAGE=off`` turns it off with the events."""
    return os.environ.get("AXIOM_LINEAGE", "on").lower() not in ("off", "0", "false", "no")


def manifests_dir(repo: RepoPaths) -> Path:
    return repo.data / "lineage" / "files"


def file_sha256(path: Path, block: int = 2**20) -> str:
    """The hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(block):
            digest.update(chunk)
    return digest.hexdigest()


def describe_file(name: str) -> dict[str, object]:
    """Path, size and sha256 of ``name`` (an in-memory origin such as ``<generated>`` has none)."""
    path = Path(name)
    if not path.is_file():
        return {"path": name, "bytes": None, "sha256": None}
    return {"path": str(path.resolve()), "bytes": path.stat().st_size, "sha256": file_sha256(path)}


def write_manifest(repo: RepoPaths, run_id: str, names: Sequence[str]) -> Path:
    """Record the files run ``run_id`` read, numbered as its rows' ``ingest_file``."""
    path = manifests_dir(repo) / f"{run_id}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    files = {str(k): describe_file(name) for k, name in enumerate(names)}
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps({"run_id": run_id, "files": files}, indent=1))
    os.replace(tmp, path)
    return path


def read_manifest(repo: RepoPaths, run_id: str) -> dict[str, dict[str, object]]:
    """File number (as text) → path, bytes, sha256 of ``run_id``; empty if none was kept."""
    path = manifests_dir(repo) / f"{run_id}.json"
    return json.loads(path.read_text())["files"] if path.exists() else {}


def stamp(frame: pd.DataFrame, run_id: str, files: np.ndarray, lines: np.ndarray) -> pd.DataFrame:
    """``frame`` with the provenance columns set (one file number and line per row)."""
    return frame.assign(
        ingest_run=run_id,
        ingest_file=np.asarray(files, dtype=np.int32),
        ingest_line=np.asarray(lines, dtype=np.int64),
    )


def with_provenance_columns(table: pa.Table) -> pa.Table:
    """``table`` with any missing provenance column added as nulls (rows of older imports)."""
    for field in PROVENANCE_FIELDS:
        if field.name not in table.column_names:
            table = table.append_column(field, pa.nulls(table.num_rows, field.type))
    return table


def stamp_one_file(
    repo: RepoPaths, run_id: str | None, name: str, rows: pd.DataFrame, lines: np.ndarray
) -> pd.DataFrame:
    """``rows`` read from the one file ``name`` with the run, file number 0 and each row's
    line, the file kept in the run's manifest; unchanged without a run or with lineage off."""
    if run_id is None or not provenance_enabled():
        return rows
    write_manifest(repo, run_id, [name])
    return stamp(rows, run_id, np.zeros(len(rows), dtype=np.int32), lines)
