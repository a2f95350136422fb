"""Names of the stream: one stream per bar source, the consumers' group, and where a repo
keeps the stream position its lake reached."""

from __future__ import annotations

from pathlib import Path

from axiom_features.paths import RepoPaths

GROUP = "axiom-features"
"""The consumer group of ``axiom stream run``."""


def bar_stream(source: str) -> str:
    """The stream of one bar source."""
    return f"axiom:bars:{source}"


def position_path(repo: RepoPaths, source: str) -> Path:
    """The stream position of the newest bar the lake holds from ``source``."""
    return repo.data / "lake" / "stream_positions" / f"{source}.parquet"


def consumed_sources(repo: RepoPaths) -> list[str]:
    """Sources whose stream this repo's lake has stored bars from."""
    folder = position_path(repo, "x").parent
    return sorted(p.stem for p in folder.glob("*.parquet")) if folder.is_dir() else []
