"""Run quality checks on a frame with the engine that suits its size (GX or DuckDB)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from axiom_features.quality.gx_engine import run_checks_gx
from axiom_features.quality.outcome import CheckOutcome
from axiom_features.quality.rules import Check
from axiom_features.quality.sql_engine import run_checks_sql

SQL_ENGINE_ROWS = 250_000
"""From this many rows, ``engine="auto"`` runs the checks in DuckDB (:mod:`.sql_engine`)."""
GX_MIN_ROWS = 10_000
"""Below this many rows, ``engine="auto"`` runs the checks in DuckDB too: importing Great
Expectations costs seconds of CPU, far more than validating a small batch, and the verdicts
are the same (GX is still imported for an expectation the SQL engine does not cover)."""


def run_checks(
    frame: pd.DataFrame, checks: Sequence[Check], engine: str = "auto"
) -> dict[str, CheckOutcome]:
    """Validate ``frame`` against ``checks``; returns each check's outcome by its key.

    Row positions refer to ``frame``'s order (its index is not used). ``engine`` is ``gx``,
    ``duckdb`` (same verdicts, one column-store scan) or ``auto`` (DuckDB for small and
    large frames, GX in between).
    """
    small_or_large = len(frame) < GX_MIN_ROWS or len(frame) >= SQL_ENGINE_ROWS
    if engine == "duckdb" or (engine == "auto" and small_or_large):
        return run_checks_sql(frame, checks)
    return run_checks_gx(frame, checks)
