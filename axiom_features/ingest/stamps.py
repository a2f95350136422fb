"""Stamp accepted rows with where they were read, and keep the run's file manifest."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from axiom_features.ingest.locations import part_of
from axiom_features.ingest.normalize import NormalizedFile
from axiom_features.lakes.provenance import provenance_enabled, stamp, write_manifest
from axiom_features.paths import RepoPaths


def stamped(
    accepted: pd.DataFrame, parts: Sequence[NormalizedFile], repo: RepoPaths, run_id: str
) -> pd.DataFrame:
    """``accepted`` (indexed by batch position) with each row's run, file number and line;
    the files are recorded, with their sha256, in the run's manifest."""
    if not provenance_enabled():
        return accepted
    write_manifest(repo, run_id, [p.raw.name for p in parts])
    return stamp_rows(accepted, parts, run_id)


def stamp_rows(
    accepted: pd.DataFrame, parts: Sequence[NormalizedFile], run_id: str
) -> pd.DataFrame:
    """``accepted`` with each row's run, file number (its part) and line."""
    if not provenance_enabled():
        return accepted
    lines = np.concatenate([np.asarray(p.raw.lines, dtype=np.int64) for p in parts])
    positions = accepted.index.to_numpy()
    return stamp(accepted, run_id, part_of(accepted.index, parts), lines[positions])
