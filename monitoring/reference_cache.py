"""Reference summaries kept between checks, so a check after every materialization reads
only its current days.

``<root>/<view>/<key>.bin`` holds the merged reference sketch, ``<key>.json`` each column's
chunk statistics. The key hashes the statistics' format, the chunk days and, per day, the
stored profile it came from and its row count: a re-profiled or re-written reference day (or
a new format) makes a new key.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict
from pathlib import Path

from monitoring.calibrated import ChunkStats, ReferenceSummary
from monitoring.daily_profiles import DaySketch
from monitoring.profile_store import ProfileStore

KEEP = 4
"""Summaries kept per view (the newest)."""
FORMAT = 2
"""Version of the chunk statistics kept: a summary of another version is built again."""


def reference_key(profiles: ProfileStore, view: str, chunks: list[list[str]]) -> str:
    """A hash of the chunk days and the stored profile of each."""
    index = profiles.day_index(view)
    parts = [
        [(day, index[day][0].path, index[day][1]) if day in index else (day, None, 0)
         for day in chunk]
        for chunk in chunks
    ]  # fmt: skip
    return hashlib.sha256(json.dumps([FORMAT, parts]).encode()).hexdigest()[:16]


class ReferenceCache:
    """Reference summaries per view, on disk."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def get(self, view: str, key: str) -> ReferenceSummary | None:
        head = self.root / view / f"{key}.json"
        if not head.exists():
            return None
        meta = json.loads(head.read_text())
        sketch = DaySketch.deserialize((self.root / view / f"{key}.bin").read_bytes())
        stats = {name: ChunkStats(**values) for name, values in meta["stats"].items()}
        return ReferenceSummary(sketch, stats, meta["chunks"], meta["days"])

    def put(self, view: str, key: str, summary: ReferenceSummary) -> None:
        folder = self.root / view
        folder.mkdir(parents=True, exist_ok=True)
        meta = {
            "chunks": summary.chunks,
            "days": summary.days,
            "stats": {name: asdict(s) for name, s in summary.stats.items()},
        }
        for suffix, data in ((".bin", summary.reference.serialize()),
                             (".json", json.dumps(meta).encode())):  # fmt: skip
            tmp = folder / f"{key}{suffix}.tmp"
            tmp.write_bytes(data)
            os.replace(tmp, folder / f"{key}{suffix}")
        heads = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime)
        for old in heads[:-KEEP]:
            old.unlink(missing_ok=True)
            old.with_suffix(".bin").unlink(missing_ok=True)
