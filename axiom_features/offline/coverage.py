"""Which lake symbols a view's Parquet offline table lacks (a deleted or never-written file).

The transform job writes ``data/offline/<view>/<SYMBOL>.parquet`` for every lake symbol, so
a symbol with bars in the lake and no file for a view is a gap: materialize would leave its
old online row in place, and a consistency check would never sample it.
"""

from __future__ import annotations

from pathlib import Path

from axiom_features.paths import RepoPaths


def lake_symbols(repo: RepoPaths) -> set[str]:
    return {p.stem for p in repo.bars.glob("*.parquet")} if repo.bars.is_dir() else set()


def offline_symbols(repo: RepoPaths, view: str) -> set[str]:
    folder = repo.offline_view(view)
    return {p.stem for p in folder.glob("*.parquet")} if folder.is_dir() else set()


def missing_symbols(root: Path, view: str) -> list[str]:
    """Lake symbols with no offline file for ``view``; empty when the view has no table yet
    (never transformed) or the lake is empty."""
    repo = RepoPaths(root)
    have = offline_symbols(repo, view)
    if not have:
        return []
    return sorted(lake_symbols(repo) - have)


def gap_line(view: str, missing: list[str], shown: int = 5) -> str:
    """``view lacks offline rows for 2 lake symbols (AXM, BLQ): run axiom transform``."""
    names = ", ".join(missing[:shown]) + (", …" if len(missing) > shown else "")
    return (
        f"{view}: no offline file for {len(missing)} lake symbol(s) ({names}); "
        f"rerun `axiom transform --symbols {','.join(missing[:shown])}`"
    )
