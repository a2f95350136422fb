"""Where the quality framework keeps its records: ``data/quality/`` of a repository."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from axiom_features.lakes.bars import write_parquet_atomic
from axiom_features.paths import RepoPaths


def quality_dir(repo: RepoPaths) -> Path:
    return repo.data / "quality"


def verdict_path(repo: RepoPaths, run_id: str) -> Path:
    """The gate's verdict on one run (``verdicts/<run_id>.json``)."""
    return quality_dir(repo) / "verdicts" / f"{run_id}.json"


def findings_path(repo: RepoPaths, run_id: str) -> Path:
    return quality_dir(repo) / "findings" / f"{run_id}.parquet"


def write_json(path: Path, payload: dict[str, Any]) -> Path:
    """Write ``payload`` atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(payload, indent=2, default=str))
    os.replace(tmp, path)
    return path


def read_verdict(repo: RepoPaths, run_id: str) -> dict[str, Any]:
    path = verdict_path(repo, run_id)
    if not path.exists():
        raise KeyError(f"no quality verdict for run {run_id!r} in {path.parent}")
    return json.loads(path.read_text())


def latest_verdict_run(repo: RepoPaths) -> str:
    """The run id of the newest verdict (run ids sort by time)."""
    folder = verdict_path(repo, "x").parent
    runs = sorted(p.stem for p in folder.glob("*.json")) if folder.exists() else []
    if not runs:
        raise KeyError(f"no quality verdicts in {folder}")
    return runs[-1]


def write_findings(repo: RepoPaths, run_id: str, findings: pd.DataFrame) -> Path | None:
    if findings.empty:
        return None
    path = findings_path(repo, run_id)
    write_parquet_atomic(pa.Table.from_pandas(findings, preserve_index=False), path)
    return path


def read_findings(repo: RepoPaths, run_id: str) -> pd.DataFrame:
    path = findings_path(repo, run_id)
    return pd.read_parquet(path) if path.exists() else pd.DataFrame()
