"""Where the fundamentals and news lakes live inside a repository."""

from __future__ import annotations

from pathlib import Path

from axiom_features.paths import RepoPaths


def fundamentals_dir(repo: RepoPaths) -> Path:
    """``data/lake/fundamentals``: one Parquet file per symbol."""
    return repo.data / "lake" / "fundamentals"


def news_root(repo: RepoPaths) -> Path:
    """Stored headlines, one Parquet file per symbol: ``data/lake/news/<SYMBOL>.parquet``."""
    return repo.data / "lake" / "news"


def news_quarantine(repo: RepoPaths) -> Path:
    """Rejected news rows, one file per import run: ``data/quarantine/news/<run_id>.parquet``."""
    return repo.quarantine / "news"
