"""All-or-nothing writes: the files of one import are staged, then published together.

A transaction stages every file it will publish under ``data/.transactions/<run_id>/``.
``commit`` first writes a manifest (staged file → target, fsynced, renamed into place): from
that moment the transaction is decided, and publishing is a series of ``os.replace`` calls
that can be repeated. A process killed before the manifest exists leaves only its staging
folder, which :func:`recover` deletes (rolled back); one killed after it leaves a manifest,
which :func:`recover` publishes (rolled forward). Readers therefore see all of an import's
files or none of them once :func:`recover` has run, which every import and transform does
before it starts.

Files kept on a configured storage (:mod:`axiom_features.storage`: lakes, offline tables)
are still staged here, beside the driver; publishing uploads each as one object, which the
manifest lets a later :func:`recover` repeat.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from axiom_features.lakes.checksums import record_checksum, record_digest
from axiom_features.paths import RepoPaths
from axiom_features.storage.repo import storage_of

MANIFEST = "manifest.json"


def transactions_dir(repo: RepoPaths) -> Path:
    """``data/.transactions``: one folder per import in flight."""
    return repo.data / ".transactions"


@dataclass
class Transaction:
    """The files one run will publish, staged under ``folder`` until :meth:`commit`."""

    repo: RepoPaths
    folder: Path
    staged: dict[Path, Path] = field(default_factory=dict)
    """Target path → staged file."""

    def write_table(self, table: pa.Table, target: Path) -> None:
        """Stage ``table`` as the next content of ``target`` (published at commit)."""
        _inside(self.repo, target)
        self.folder.mkdir(parents=True, exist_ok=True)
        staged = self.staged.get(target) or self.folder / f"{len(self.staged):06d}.parquet"
        pq.write_table(table, staged)
        self.staged[target] = staged

    def current(self, target: Path) -> Path | None:
        """Where the newest content of ``target`` is: staged here, stored, or nowhere (a
        file kept on a remote storage is fetched into the staging folder)."""
        if target in self.staged:
            return self.staged[target]
        storage = storage_of(self.repo)
        if storage.in_place or not storage.shares(target):
            return target if target.exists() else None
        if not storage.exists(target):
            return None
        self.folder.mkdir(parents=True, exist_ok=True)
        name = hashlib.sha256(str(storage.relative(target)).encode()).hexdigest()[:24]
        fetched = self.folder / f"current-{name}.parquet"
        fetched.write_bytes(storage.read_bytes(target))
        return fetched

    def commit(self) -> list[Path]:
        """Decide the transaction (manifest), publish every staged file; returns the targets."""
        if not self.staged:
            shutil.rmtree(self.folder, ignore_errors=True)
            return []
        for staged in self.staged.values():
            _fsync(staged)
        entries = [
            {"staged": s.name, "target": str(t.relative_to(self.repo.data))}
            for t, s in self.staged.items()
        ]
        tmp = self.folder / f".{MANIFEST}.tmp"
        tmp.write_text(json.dumps(entries))
        _fsync(tmp)
        os.replace(tmp, self.folder / MANIFEST)
        _fsync(self.folder)
        _publish(self.repo, self.folder)
        return list(self.staged)

    def abort(self) -> None:
        """Drop everything staged; nothing was published."""
        shutil.rmtree(self.folder, ignore_errors=True)


@contextmanager
def transaction(repo: RepoPaths, run_id: str) -> Iterator[Transaction]:
    """A transaction committed when the block ends normally, dropped when it raises."""
    folder = transactions_dir(repo) / run_id
    shutil.rmtree(folder, ignore_errors=True)
    tx = Transaction(repo, folder)
    try:
        yield tx
    except BaseException:
        tx.abort()
        raise
    tx.commit()


def recover(repo: RepoPaths) -> dict[str, str]:
    """Finish what killed runs left: publish decided transactions, delete undecided ones.

    Returns run id → ``rolled forward`` or ``rolled back``.
    """
    root = transactions_dir(repo)
    if not root.is_dir():
        return {}
    outcome = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        if (folder / MANIFEST).exists():
            _publish(repo, folder)
            outcome[folder.name] = "rolled forward"
        else:
            shutil.rmtree(folder, ignore_errors=True)
            outcome[folder.name] = "rolled back"
    return outcome


def _publish(repo: RepoPaths, folder: Path) -> None:
    """Move each staged file of a decided transaction to its target; repeatable."""
    entries = json.loads((folder / MANIFEST).read_text())
    storage = storage_of(repo)
    for entry in entries:
        staged = folder / entry["staged"]
        if staged.exists():
            target = repo.data / entry["target"]
            if not storage.in_place and storage.shares(target):
                record_digest(storage, target, storage.publish(staged, target))
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged, target)
            record_checksum(target)
    shutil.rmtree(folder, ignore_errors=True)


def _inside(repo: RepoPaths, target: Path) -> None:
    data = repo.data.resolve()
    if not target.resolve().is_relative_to(data):
        raise ValueError(f"{target}: outside the data folder {data}")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
