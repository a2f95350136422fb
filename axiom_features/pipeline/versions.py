"""Feature view versions: definitions snapshots, archived offline data, and diffs.

A view's version is the hash of its features' identities (:mod:`transforms.specs`). Each
time the transform job writes a view it records the definition under
``data/catalogue/<view>/<version>.json``. When the catalogue's version of a view differs from
the version of the data in ``data/offline/<view>/``, that folder is moved, whole, to
``data/offline_versions/<view>/<old version>/`` before the new version is written: both the
old definition and the old data stay readable.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from axiom_features.paths import RepoPaths
from axiom_features.storage.repo import storage_of
from transforms.specs import ViewSpec


def snapshots_dir(repo: RepoPaths, view: str) -> Path:
    return repo.data / "catalogue" / view


def archive_dir(repo: RepoPaths, view: str, version: str) -> Path:
    return repo.data / "offline_versions" / view / version


def definition(view: ViewSpec) -> dict[str, Any]:
    """What a snapshot holds: the view's name, version, TTL and every feature's identity."""
    return {
        "view": view.name,
        "version": view.version,
        "ttl_seconds": view.ttl.total_seconds(),
        "description": view.description,
        "features": [f.to_record() for f in view.features],
    }


def save_snapshot(repo: RepoPaths, view: ViewSpec) -> Path:
    """Record ``view``'s definition (once per version)."""
    path = snapshots_dir(repo, view.name) / f"{view.version}.json"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(definition(view), indent=2, sort_keys=True, default=str))
        os.replace(tmp, path)
    return path


def load_snapshot(repo: RepoPaths, view: str, version: str) -> dict[str, Any]:
    path = snapshots_dir(repo, view) / f"{version}.json"
    if not path.exists():
        known = ", ".join(known_versions(repo, view)) or "none"
        raise FileNotFoundError(f"no definition of {view} version {version} (known: {known})")
    return json.loads(path.read_text())


def known_versions(repo: RepoPaths, view: str) -> list[str]:
    """Versions with a recorded definition, oldest first."""
    folder = snapshots_dir(repo, view)
    if not folder.is_dir():
        return []
    return [p.stem for p in sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime_ns)]


def stored_version(repo: RepoPaths, view: str) -> str | None:
    """The version of the data in ``data/offline/<view>/`` (from the schema metadata of its
    first readable file: a truncated file is rewritten by the transform, not a blocker)."""
    folder = repo.offline_view(view)
    storage = storage_of(repo)
    for path in storage.files(folder):
        try:
            metadata = storage.read_schema(path).metadata or {}
        except (OSError, ValueError):  # pyarrow's ArrowInvalid is a ValueError
            continue
        version = metadata.get(b"view_version")
        return version.decode() if version else None
    return None


def archive_if_changed(repo: RepoPaths, view: ViewSpec) -> Path | None:
    """Move the offline data of an older version aside; returns where it went, if it moved."""
    old = stored_version(repo, view.name)
    if old is None or old == view.version:
        return None
    target = archive_dir(repo, view.name, old)
    storage = storage_of(repo)
    if storage.in_place:
        if target.exists():
            raise FileExistsError(f"{target} exists already; cannot archive {view.name} {old}")
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(repo.offline_view(view.name), target)
        return target
    if storage.is_dir(target):
        where = storage.display(target)
        raise FileExistsError(f"{where} exists already; cannot archive {view.name} {old}")
    storage.move_folder(repo.offline_view(view.name), target)
    return target


def read_version(repo: RepoPaths, view: str, version: str) -> pa.Table:
    """The offline data of ``view`` at ``version``: current or archived."""
    storage = storage_of(repo)
    if stored_version(repo, view) == version:
        folder = repo.offline_view(view)
    else:
        folder = archive_dir(repo, view, version)
        if not storage.is_dir(folder):
            raise FileNotFoundError(f"no offline data of {view} version {version}")
    if storage.in_place:
        return pq.read_table(folder)
    return storage.dataset(folder).to_table()


@dataclass
class ViewDiff:
    """What changed between two definitions of a view."""

    view: str
    old_version: str | None
    new_version: str
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: dict[str, dict[str, tuple[Any, Any]]] = field(default_factory=dict)

    @property
    def unchanged(self) -> bool:
        return not (self.added or self.removed or self.changed)


def diff_definitions(old: dict[str, Any] | None, new: dict[str, Any]) -> ViewDiff:
    """Features added, removed, and changed field by field (function, parameters, version …)."""
    old_features = {f["name"]: f for f in (old or {}).get("features", [])}
    new_features = {f["name"]: f for f in new["features"]}
    result = ViewDiff(
        view=new["view"],
        old_version=old["version"] if old else None,
        new_version=new["version"],
        added=sorted(set(new_features) - set(old_features)),
        removed=sorted(set(old_features) - set(new_features)),
    )
    for name in sorted(set(old_features) & set(new_features)):
        fields = {
            key: (old_features[name].get(key), value)
            for key, value in new_features[name].items()
            if old_features[name].get(key) != value and key != "description"
        }
        if fields:
            result.changed[name] = fields
    return result


def diff_against_stored(repo: RepoPaths, view: ViewSpec) -> ViewDiff:
    """The catalogue's ``view`` against the definition of the data now stored offline."""
    stored = stored_version(repo, view.name)
    old = load_snapshot(repo, view.name, stored) if stored and stored != view.version else None
    if stored == view.version:
        old = definition(view)
    return diff_definitions(old, definition(view))
