"""Files of the data folder on one pyarrow file system, named by their path under ``data/``.

Callers keep naming files as they always have (``repo.bars / "AAPL.parquet"``); a
:class:`Storage` maps such a path onto its base: the path itself when nothing is configured,
``<base>/lake/bars/AAPL.parquet`` on a shared folder or in a bucket. A path outside the data
folder, or one that climbs out of it with ``..``, is refused, so a name never escapes the
base. Writes are atomic: a temporary file renamed into place on a local file system, one
object upload (visible whole or not at all) on an object store.
"""

from __future__ import annotations

import errno
import hashlib
import os
import posixpath
import uuid
from pathlib import Path, PurePosixPath

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pyarrow.parquet as pq

SHARED: tuple[str, ...] = (
    "lake/bars",
    "lake/bars_history",
    "lake/fundamentals",
    "lake/news",
    "lake/market",
    "lake/recompute.json",
    "offline",
    "offline_versions",
)
"""What lives on the storage (with its checksums under ``.checksums/``); the rest of
``data/`` (registry, run records, profiles, quarantine, staging) stays with the driver."""


class Storage:
    """The data folder ``data`` (a repo's ``data/``) kept at ``base`` on ``filesystem``.

    ``local`` storages are a folder of this machine's file system (``base`` an absolute or
    repo-relative path); the others are object stores or fsspec file systems, where ``base``
    is ``bucket/prefix``.
    """

    def __init__(
        self, data: Path, filesystem: pafs.FileSystem, base: str, *, local: bool, uri: str
    ) -> None:
        self.data = data
        self.filesystem = filesystem
        self.base = base.rstrip("/") or base
        self.local = local
        self.uri = uri

    @property
    def in_place(self) -> bool:
        """Whether files stay where their paths say (the repo's own ``data/`` folder)."""
        return self.local and Path(self.base) == self.data

    def __repr__(self) -> str:
        return f"Storage({self.uri})"

    # -- naming -------------------------------------------------------------------------

    def relative(self, path: Path) -> PurePosixPath:
        """``path`` relative to the data folder; raises if it is not inside it."""
        normal = Path(os.path.normpath(path))
        try:
            relative = normal.relative_to(Path(os.path.normpath(self.data)))
        except ValueError:
            raise ValueError(f"{path}: outside the data folder {self.data}") from None
        if ".." in relative.parts:
            raise ValueError(f"{path}: outside the data folder {self.data}")
        return PurePosixPath(relative.as_posix())

    def shares(self, path: Path) -> bool:
        """Whether ``path`` is one of the :data:`SHARED` files, or a checksum of one."""
        try:
            parts = self.relative(path).parts
        except ValueError:
            return False
        if parts[:1] == (".checksums",):
            parts = parts[1:]
        text = "/".join(parts)
        return any(text == folder or text.startswith(folder + "/") for folder in SHARED)

    def locate(self, path: Path) -> str:
        """Where ``path`` (a shared file under the data folder) is on the file system."""
        relative = self.relative(path)
        if self.in_place:
            return str(path)
        if not self.shares(path):
            raise ValueError(f"{path}: not one of the folders kept on {self.uri}")
        if self.local:
            return str(Path(self.base) / relative)
        return posixpath.join(self.base, str(relative))

    def display(self, path: Path) -> str:
        """``path`` as a user reads it in a message: the path, or the object's URI."""
        if self.in_place:
            return str(path)
        location = self.locate(path)
        return location if self.local else f"{self.uri.split('://', 1)[0]}://{location}"

    # -- reading ------------------------------------------------------------------------

    def exists(self, path: Path) -> bool:
        """Whether ``path`` is a stored file."""
        if self.local:
            return Path(self.locate(path)).is_file()
        return self.filesystem.get_file_info(self.locate(path)).type == pafs.FileType.File

    def is_dir(self, path: Path) -> bool:
        """Whether ``path`` holds files (on object stores: any object under it)."""
        if self.local:
            return Path(self.locate(path)).is_dir()
        selector = pafs.FileSelector(self.locate(path), allow_not_found=True)
        return bool(self.filesystem.get_file_info(selector))

    def mtime_ns(self, path: Path) -> int:
        """When ``path`` was last written, in nanoseconds (changes with every write)."""
        if self.local:
            return Path(self.locate(path)).stat().st_mtime_ns
        info = self.filesystem.get_file_info(self.locate(path))
        if info.type != pafs.FileType.File:
            raise FileNotFoundError(self.display(path))
        return int(info.mtime_ns or 0) ^ int(info.size or 0)

    def files(self, folder: Path, suffix: str = ".parquet") -> list[Path]:
        """The files directly in ``folder`` whose names end in ``suffix``, sorted by name,
        as paths under the data folder."""
        if self.local:
            where = Path(self.locate(folder))
            if not where.is_dir():
                return []
            return sorted(folder / p.name for p in where.glob(f"*{suffix}") if p.is_file())
        selector = pafs.FileSelector(self.locate(folder), allow_not_found=True)
        infos = self.filesystem.get_file_info(selector)
        return sorted(
            folder / info.base_name
            for info in infos
            if info.type == pafs.FileType.File and info.base_name.endswith(suffix)
        )

    def read_table(self, path: Path, columns: list[str] | None = None) -> pa.Table:
        """The Parquet file at ``path``."""
        if self.local:
            return pq.read_table(self.locate(path), columns=columns)
        return pq.read_table(self.locate(path), columns=columns, filesystem=self.filesystem)

    def read_schema(self, path: Path) -> pa.Schema:
        """The Arrow schema of the Parquet file at ``path`` (its footer only)."""
        if self.local:
            return pq.read_schema(self.locate(path))
        return pq.read_schema(self.locate(path), filesystem=self.filesystem)

    def read_bytes(self, path: Path) -> bytes:
        if self.local:
            return Path(self.locate(path)).read_bytes()
        with self.filesystem.open_input_stream(self.locate(path)) as stream:
            return stream.read()

    def dataset(self, folder: Path) -> ds.Dataset:
        """The Parquet files under ``folder`` as one dataset."""
        if self.local:
            return ds.dataset(self.locate(folder), format="parquet")
        return ds.dataset(self.locate(folder), format="parquet", filesystem=self.filesystem)

    # -- writing ------------------------------------------------------------------------

    def write_bytes(self, path: Path, data: bytes) -> None:
        """Store ``data`` at ``path`` atomically: readers see the old file or the new one."""
        if self.local:
            target = Path(self.locate(path))
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
            try:
                tmp.write_bytes(data)
                os.replace(tmp, target)
            finally:
                tmp.unlink(missing_ok=True)
            return
        # One upload: an object store shows an object only once its upload completed (a
        # failed part leaves the stored object as it was).
        with self.filesystem.open_output_stream(self.locate(path), metadata={}) as stream:
            stream.write(data)

    def write_parquet(self, table: pa.Table, path: Path, **options: object) -> str:
        """Write ``table`` as Parquet at ``path`` atomically; returns the bytes' sha256."""
        buffer = pa.BufferOutputStream()
        pq.write_table(table, buffer, **options)
        data = buffer.getvalue().to_pybytes()
        self.write_bytes(path, data)
        return hashlib.sha256(data).hexdigest()

    def publish(self, staged: Path, path: Path) -> str:
        """Move the local file ``staged`` to ``path`` (repeatable); returns its sha256."""
        digest = _file_sha256(staged)
        if self.local:
            target = Path(self.locate(path))
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.replace(staged, target)
                return digest
            except OSError as error:
                if error.errno != errno.EXDEV:  # another device: copy, then rename
                    raise
        self.write_bytes(path, staged.read_bytes())
        staged.unlink(missing_ok=True)
        return digest

    def delete(self, path: Path) -> None:
        """Remove the file at ``path``; a missing file is not an error."""
        if self.local:
            Path(self.locate(path)).unlink(missing_ok=True)
            return
        try:
            self.filesystem.delete_file(self.locate(path))
        except FileNotFoundError:
            pass

    def move_folder(self, source: Path, target: Path) -> None:
        """Move every file under ``source`` to the same place under ``target``."""
        if self.local:
            destination = Path(self.locate(target))
            destination.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.locate(source), destination)
            return
        root = self.locate(source)
        selector = pafs.FileSelector(root, allow_not_found=True, recursive=True)
        for info in self.filesystem.get_file_info(selector):
            if info.type == pafs.FileType.File:
                inner = posixpath.relpath(info.path, root)
                self.filesystem.copy_file(info.path, posixpath.join(self.locate(target), inner))
                self.filesystem.delete_file(info.path)


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
