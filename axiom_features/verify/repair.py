"""``axiom repair``: rebuild what ``axiom verify`` found damaged.

- a bars lake file is moved to ``data/damaged/`` and rebuilt by importing again every
  source file the import manifests recorded that still exists with the same sha256
  (idempotent for the rows already stored);
- an offline table is moved aside and recomputed by the transform job for its symbol;
- other files (fundamentals, news, quarantine) are reported, not rebuilt.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from axiom_features.ingest import QualityOptions, import_bars
from axiom_features.lakes.provenance import file_sha256, manifests_dir
from axiom_features.lakes.symbols import symbol_of
from axiom_features.paths import RepoPaths
from axiom_features.pipeline.runs import new_run_id
from axiom_features.pipeline.transform_job import run_transform_job
from axiom_features.verify.check import Damage, verify_stores


@dataclass
class RepairReport:
    rebuilt: list[str] = field(default_factory=list)
    not_rebuilt: list[Damage] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    """Source files imported again to rebuild the lake."""


def recorded_sources(repo: RepoPaths) -> list[Path]:
    """Source files of past imports that still exist with the bytes they had."""
    found: dict[str, Path] = {}
    folder = manifests_dir(repo)
    for manifest in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        for entry in json.loads(manifest.read_text()).get("files", {}).values():
            path = Path(str(entry.get("path")))
            if entry.get("sha256") and path.is_file() and file_sha256(path) == entry["sha256"]:
                found[str(path)] = path
    return list(found.values())


def repair_stores(repo: RepoPaths) -> RepairReport:
    """Move damaged files aside and rebuild them; returns what was rebuilt and what was not."""
    report = RepairReport()
    damaged = verify_stores(repo).damaged
    aside = repo.data / "damaged" / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    lake, offline = [], []
    for damage in damaged:
        path = repo.data / damage.path
        if damage.path.startswith("lake/bars/"):
            lake.append(damage)
        elif damage.store == "offline":
            offline.append((damage, path.parent.name, symbol_of(path)))
        else:
            report.not_rebuilt.append(damage)
            continue
        target = aside / damage.path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(path, target)
    if lake:
        report.sources = [str(p) for p in recorded_sources(repo)]
        if report.sources:
            quality = QualityOptions(on_conflict="keep")
            import_bars(report.sources, repo, run_id=new_run_id(), quality=quality)
        report.rebuilt += [d.path for d in lake if (repo.data / d.path).exists()]
        report.not_rebuilt += [d for d in lake if not (repo.data / d.path).exists()]
    for damage, view, symbol in offline:
        run_transform_job(repo, symbols=[symbol], views=[view])
        report.rebuilt.append(damage.path)
    return report
