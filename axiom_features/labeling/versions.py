"""Label set versions: a version is the hash of the set's contents; snapshots are kept under
``data/labels/versions/<version>.parquet`` so training can be pinned to one and two
versions can be compared."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

KEY = ("symbol", "t0")
CONTENT = ("symbol", "t0", "t1", "label")


def _canonical(labels: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in CONTENT if c not in labels.columns]
    if missing:
        raise ValueError(f"labels: missing column(s) {', '.join(missing)}")
    frame = labels[list(CONTENT) + (["weight"] if "weight" in labels.columns else [])].copy()
    frame["t0"] = pd.to_datetime(frame["t0"], utc=True)
    frame["t1"] = pd.to_datetime(frame["t1"], utc=True)
    frame["label"] = frame["label"].astype("int64")
    return frame.sort_values(list(KEY), kind="stable").reset_index(drop=True)


def content_hash(labels: pd.DataFrame) -> str:
    """16 hex digits of SHA-256 over the labels in canonical order (row order, column order
    and index do not matter)."""
    frame = _canonical(labels)
    text = frame.to_csv(index=False, date_format="%Y-%m-%dT%H:%M:%S.%fZ", float_format="%.12g")
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def versions_dir(root: Path) -> Path:
    return Path(root) / "data" / "labels" / "versions"


def snapshot(root: Path, labels: pd.DataFrame, name: str = "labels") -> str:
    """Store ``labels`` under its content hash (idempotent) and return the version."""
    version = content_hash(labels)
    folder = versions_dir(root)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{version}.parquet"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        _canonical(labels).to_parquet(tmp, index=False)
        tmp.replace(path)
        manifest = {"version": version, "name": name, "rows": len(labels),
                    "created_at": datetime.now(UTC).isoformat()}  # fmt: skip
        (folder / f"{version}.json").write_text(json.dumps(manifest, indent=2))
    return version


def load_version(root: Path, version: str) -> pd.DataFrame:
    """The labels of ``version``; a version that is not stored names itself."""
    path = versions_dir(root) / f"{version}.parquet"
    if not path.exists():
        raise ValueError(f"label version '{version}': no snapshot at {path}")
    frame = pd.read_parquet(path)
    if content_hash(frame) != version:
        raise ValueError(f"label version '{version}': {path} does not hash to its name")
    return frame


@dataclass(frozen=True)
class LabelDiff:
    added: pd.DataFrame
    removed: pd.DataFrame
    changed: pd.DataFrame
    """Keys whose label or end changed: ``label_old``/``label_new``, ``t1_old``/``t1_new``."""

    def to_json(self) -> dict:
        return {
            "added": len(self.added),
            "removed": len(self.removed),
            "changed": len(self.changed),
            "changes": self.changed.head(50).astype(str).to_dict("records"),
        }


def diff(old: pd.DataFrame, new: pd.DataFrame) -> LabelDiff:
    """What changed from ``old`` to ``new``, by (symbol, t0)."""
    a, b = _canonical(old), _canonical(new)
    merged = a.merge(b, on=list(KEY), how="outer", suffixes=("_old", "_new"), indicator=True)
    both = merged[merged["_merge"] == "both"]
    changed = both[(both["label_old"] != both["label_new"]) | (both["t1_old"] != both["t1_new"])]
    cols = ["symbol", "t0", "label_old", "label_new", "t1_old", "t1_new"]
    return LabelDiff(
        added=merged[merged["_merge"] == "right_only"][list(KEY)].reset_index(drop=True),
        removed=merged[merged["_merge"] == "left_only"][list(KEY)].reset_index(drop=True),
        changed=changed[cols].reset_index(drop=True),
    )
