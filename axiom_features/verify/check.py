"""``axiom verify``: every data file against the checksum recorded when it was written.

Stores checked: the lakes (bars, fundamentals, news), the offline tables and the
quarantine. A file is ``changed`` when its bytes differ from what was written, ``unreadable``
when Parquet cannot open it; a file written before checksums existed is counted as
unrecorded, not damaged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq

from axiom_features.lakes.checksums import checksum_problem
from axiom_features.paths import RepoPaths

STORES: dict[str, tuple[str, ...]] = {
    "lake": ("lake/bars", "lake/fundamentals", "lake/news"),
    "offline": ("offline",),
    "quarantine": ("quarantine",),
}


@dataclass(frozen=True)
class Damage:
    """One damaged file: its store, path (relative to ``data/``) and what is wrong."""

    store: str
    path: str
    reason: str


@dataclass
class VerifyReport:
    checked: int = 0
    unrecorded: int = 0
    damaged: list[Damage] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.damaged


def store_files(repo: RepoPaths, store: str) -> list[Path]:
    """The Parquet files of ``store`` (hidden folders, e.g. checksums, excluded)."""
    files = []
    for folder in STORES[store]:
        root = repo.data / folder
        if root.is_dir():
            files += [
                p
                for p in sorted(root.rglob("*.parquet"))
                if not any(part.startswith(".") for part in p.relative_to(root).parts)
            ]
    return files


def file_problem(path: Path) -> str | None:
    """``changed``/``unreadable`` for a damaged file, ``unrecorded`` or None otherwise."""
    problem = checksum_problem(path)
    if problem == "changed":
        return "changed since it was written (checksum differs)"
    try:
        pq.ParquetFile(path).metadata  # noqa: B018 - reading the footer is the check
    except Exception as exc:  # noqa: BLE001 - any failure to open is damage
        return f"unreadable ({exc})"
    return problem


def verify_stores(repo: RepoPaths) -> VerifyReport:
    """Check every file of every store; returns what is damaged."""
    report = VerifyReport()
    for store in STORES:
        for path in store_files(repo, store):
            report.checked += 1
            problem = file_problem(path)
            if problem == "unrecorded":
                report.unrecorded += 1
            elif problem is not None:
                report.damaged.append(Damage(store, str(path.relative_to(repo.data)), problem))
    return report
