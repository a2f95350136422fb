"""High-water marks per view and symbol, committed after the data they describe (dlt-style).

``data/state/watermarks/<view>.json`` holds, per symbol: ``through`` (the newest bar time
written to the offline table), ``bars`` (the newest lake ``created_timestamp`` read) and,
for views reading them, the sha256 of the symbol's fundamentals and news lake files. The
file is replaced atomically after the offline tables are written, so a crash in between
leaves older marks: the next update recomputes the same rows and writes the same bytes.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from axiom_features.paths import RepoPaths


@dataclass(frozen=True)
class Mark:
    """What one view's offline table of one symbol was computed from."""

    through: str
    bars: str
    fundamentals: str | None = None
    news: str | None = None


def marks_path(repo: RepoPaths, view: str) -> Path:
    return repo.data / "state" / "watermarks" / f"{view}.json"


def read_marks(repo: RepoPaths, view: str, version: str) -> dict[str, Mark]:
    """The view's marks by symbol; none when absent or written for another view version."""
    path = marks_path(repo, view)
    if not path.is_file():
        return {}
    stored = json.loads(path.read_text())
    if stored.get("version") != version:
        return {}
    return {symbol: Mark(**mark) for symbol, mark in stored["symbols"].items()}


def write_marks(repo: RepoPaths, view: str, version: str, marks: dict[str, Mark]) -> None:
    """Replace the view's marks atomically (temporary file, fsync, rename)."""
    path = marks_path(repo, view)
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "view": view,
        "version": version,
        "symbols": {s: asdict(m) for s, m in sorted(marks.items())},
    }
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w") as handle:
        json.dump(document, handle, indent=1, sort_keys=True)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
