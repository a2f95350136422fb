"""Where the fundamentals lake lives inside a repository."""

from __future__ import annotations

from pathlib import Path

from axiom_features.paths import RepoPaths


def fundamentals_dir(repo: RepoPaths) -> Path:
    """``data/lake/fundamentals``: one Parquet file per symbol."""
    return repo.data / "lake" / "fundamentals"
