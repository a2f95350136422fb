"""``axiom repair``: rebuild what ``axiom verify`` found damaged.

- a bars lake file is moved to ``data/damaged/`` and rebuilt by replaying, oldest first,
  every recorded ingest run whose source files still hold the bytes it read, with the
  run's options (idempotent for the rows already stored);
- an offline table is moved aside and recomputed by the transform job for its symbol;
- other files (fundamentals, news, quarantine) are reported, not rebuilt.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from axiom_features.ingest import QualityOptions, import_bars
from axiom_features.lakes.provenance import file_sha256, manifests_dir
from axiom_features.lakes.symbols import symbol_of
from axiom_features.paths import RepoPaths
from axiom_features.pipeline.runs import RunLog, new_run_id
from axiom_features.pipeline.transform_job import run_transform_job
from axiom_features.verify.check import Damage, verify_stores


@dataclass
class RepairReport:
    rebuilt: list[str] = field(default_factory=list)
    not_rebuilt: list[Damage] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    """Source files imported again to rebuild the lake."""


@dataclass(frozen=True)
class RecordedImport:
    """One past import: the source files that still hold the bytes it read, its options."""

    run_id: str
    files: list[Path]
    options: dict[str, Any]


IMPORT_OPTIONS = ("timezone", "source", "use_adjusted", "calendar")


def recorded_imports(repo: RepoPaths) -> list[RecordedImport]:
    """Past imports, oldest first, whose source files still exist unchanged."""
    runs = {r.run_id: r for r in RunLog(repo.runs).list("ingest")}
    found = []
    folder = manifests_dir(repo)
    for manifest in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        files = [
            Path(str(entry["path"]))
            for entry in json.loads(manifest.read_text()).get("files", {}).values()
            if entry.get("sha256")
            and Path(str(entry["path"])).is_file()
            and file_sha256(Path(str(entry["path"]))) == entry["sha256"]
        ]
        record = runs.get(manifest.stem)  # an import outside a job has default options
        if files:
            options = dict(record.parameters) if record is not None else {}
            found.append(RecordedImport(manifest.stem, files, options))
    return found


def replay(repo: RepoPaths, recorded: RecordedImport) -> None:
    """Import a past run's files again with its options; a stored bar stays unless the run
    replaced corrections."""
    options = {k: recorded.options[k] for k in IMPORT_OPTIONS if k in recorded.options}
    policy = "replace" if recorded.options.get("on_conflict") == "replace" else "keep"
    quality = QualityOptions(on_conflict=policy)
    import_bars(recorded.files, repo, run_id=new_run_id(), quality=quality, **options)


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
        for recorded in recorded_imports(repo):
            replay(repo, recorded)
            report.sources += [str(p) for p in recorded.files]
        report.rebuilt += [d.path for d in lake if (repo.data / d.path).exists()]
        report.not_rebuilt += [d for d in lake if not (repo.data / d.path).exists()]
    for damage, view, symbol in offline:
        run_transform_job(repo, symbols=[symbol], views=[view])
        report.rebuilt.append(damage.path)
    return report
