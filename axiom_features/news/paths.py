"""Where news lives inside a repository (derived from :class:`RepoPaths`)."""

from __future__ import annotations

from pathlib import Path

from axiom_features.paths import RepoPaths


def news_root(repo: RepoPaths) -> Path:
    """Stored headlines, one Parquet file per symbol: ``data/lake/news/<SYMBOL>.parquet``."""
    return repo.data / "lake" / "news"


def news_quarantine(repo: RepoPaths) -> Path:
    """Rejected news rows, one file per import run: ``data/quarantine/news/<run_id>.parquet``."""
    return repo.quarantine / "news"
