"""What a transform run records so that ``axiom replay`` can run it again, and the replay.

A transform run keeps its ``created`` time, the sha256 of every lake file it could read
(``input_hashes``) and, per view, the sha256 of each symbol's offline file it wrote
(``output_hashes``; the checksums recorded when the files were written, so recording costs
no hashing). A replay computes the same symbols and views from the recorded inputs in a
scratch repository with the same ``created`` time and compares the files' bytes; where they
differ it counts differing values against the stored files.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from axiom_features.backfill.digests import input_hashes
from axiom_features.lakes.checksums import read_checked, sidecar
from axiom_features.lakes.provenance import file_sha256
from axiom_features.lakes.symbols import symbol_file
from axiom_features.paths import RepoPaths
from axiom_features.pipeline.runs import RunRecord
from axiom_features.storage.repo import storage_of

COMMAND = "transform"


def written_hashes(
    repo: RepoPaths, views: list[str], symbols: list[str]
) -> dict[str, dict[str, str]]:
    """``{view: {symbol: sha256}}`` of the offline files of ``views`` × ``symbols`` as
    recorded when they were written (hashed now where no checksum was recorded)."""
    storage = storage_of(repo)
    hashes: dict[str, dict[str, str]] = {}
    for view in views:
        found = hashes.setdefault(view, {})
        for symbol in symbols:
            path = symbol_file(repo.offline_view(view), symbol)
            if not storage.exists(path):
                continue
            recorded = sidecar(path)
            if storage.exists(recorded):
                found[symbol] = storage.read_bytes(recorded).decode().strip()
            elif storage.in_place:
                found[symbol] = file_sha256(path)
    return hashes


def record_for_replay(
    record: RunRecord, repo: RepoPaths, created: datetime, views: list[str], symbols: list[str]
) -> None:
    """Keep in ``record`` what a replay of this transform needs (local storage only)."""
    if not storage_of(repo).in_place:
        return
    record.parameters["created"] = created.isoformat()
    record.parameters["input_hashes"] = input_hashes(repo)
    record.parameters["output_hashes"] = written_hashes(repo, views, symbols)


def differing_files(
    repo: RepoPaths, scratch: RepoPaths, recorded: dict[str, dict[str, str]]
) -> dict[str, dict[str, tuple[Path, Path | None]]]:
    """Per view, the symbols whose replayed file differs from the one the run wrote:
    ``(replayed file, stored file or None when it is gone or was rewritten since)``."""
    replayed = written_hashes(
        scratch, list(recorded), sorted({s for v in recorded.values() for s in v})
    )
    differing: dict[str, dict[str, tuple[Path, Path | None]]] = {}
    for view, symbols in recorded.items():
        for symbol, digest in symbols.items():
            if replayed.get(view, {}).get(symbol) == digest:
                continue
            ours = symbol_file(scratch.offline_view(view), symbol)
            stored = symbol_file(repo.offline_view(view), symbol)
            intact = stored.is_file() and file_sha256(stored) == digest
            differing.setdefault(view, {})[symbol] = (ours, stored if intact else None)
    return differing


def read_pair(ours: Path, stored: Path | None):  # noqa: ANN201 - (pa.Table, pa.Table | None)
    """The replayed table and the stored one (None when the run's file is gone)."""
    return read_checked(ours), (read_checked(stored) if stored is not None else None)
