"""Quarantined rows out to a file for fixing, and fixed rows back in."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from axiom_features.quality.release import FIXABLE, ROW_KEY

EXPORT_COLUMNS: tuple[str, ...] = (*ROW_KEY, *FIXABLE, "source", "failed_rules")


def export_held(held: pd.DataFrame, path: Path) -> Path:
    """Write held rows as CSV (or Parquet by suffix) with the columns a fix may change."""
    frame = held[list(EXPORT_COLUMNS)]
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False, date_format="%Y-%m-%dT%H:%M:%S%z")
    return path


def read_fixes(path: Path) -> pd.DataFrame:
    """A file of fixed rows: the key columns and any of the fixable columns."""
    if path.suffix.lower() == ".parquet":
        return pd.read_parquet(path)
    return pd.read_csv(path, dtype={"run_id": str, "source_file": str, "symbol": str})
