"""``axiom verify``: every data file against the checksum recorded when it was written.

Stores checked: the lakes (bars, fundamentals, news), the offline tables and the
quarantine. A file is ``changed`` when its bytes differ from what was written, ``unreadable``
when Parquet cannot open it; a file written before checksums existed is counted as
unrecorded, not damaged. Then every materialization's profile against the rows it describes
(:mod:`~axiom_features.verify.profiles`) and, for the profiles named, the online store
against the offline tables (:mod:`~axiom_features.verify.online`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pyarrow.parquet as pq

from axiom_features.lakes.checksums import checksum_problem
from axiom_features.paths import RepoPaths
from axiom_features.verify.online import online_damage
from axiom_features.verify.profiles import profile_damage
from axiom_features.verify.report import Damage, VerifyReport

STORES: dict[str, tuple[str, ...]] = {
    "lake": ("lake/bars", "lake/fundamentals", "lake/news"),
    "offline": ("offline",),
    "quarantine": ("quarantine",),
}


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


def verify_stores(repo: RepoPaths, online_profiles: Sequence[str] = ()) -> VerifyReport:
    """Check every file of every store, every materialization's profile and the online
    stores of ``online_profiles``; returns what is damaged."""
    report = VerifyReport()
    for store in STORES:
        for path in store_files(repo, store):
            report.checked += 1
            problem = file_problem(path)
            if problem == "unrecorded":
                report.unrecorded += 1
            elif problem is not None:
                report.damaged.append(Damage(store, str(path.relative_to(repo.data)), problem))
    report.profiles_checked, damaged = profile_damage(repo)
    report.damaged += damaged
    for profile in online_profiles:
        report.damaged += online_damage(repo.root, profile)
        report.online_checked.append(profile)
    return report
