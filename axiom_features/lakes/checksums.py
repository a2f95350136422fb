"""Checksums recorded when a data file is written, so damage can be found later.

Each file ``data/<folder>/name.parquet`` gets ``data/.checksums/<folder>/name.parquet.sha256``
right after it is published (outside the folders that readers and Feast scan).
:func:`read_checked` turns a file that cannot be read into one clear line.
"""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from axiom_features.contracts import ContractError
from axiom_features.lakes.provenance import file_sha256
from axiom_features.storage.store import Storage


class DamagedFile(ContractError):
    """A stored data file that cannot be read or no longer matches its checksum."""


def sidecar(path: Path) -> Path:
    """``data/.checksums/<path under data>.sha256``: outside the folders readers scan."""
    data = next((p for p in path.parents if p.name == "data"), None)
    if data is None:
        return path.parent / ".checksums" / f"{path.name}.sha256"
    return data / ".checksums" / f"{path.relative_to(data)}.sha256"


def record_checksum(path: Path) -> None:
    """Record the sha256 of ``path`` as written."""
    target = sidecar(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.write_text(file_sha256(path))
    os.replace(tmp, target)


def checksum_problem(path: Path) -> str | None:
    """``unrecorded`` (no checksum), ``changed`` (bytes differ) or None (as written)."""
    target = sidecar(path)
    if not target.exists():
        return "unrecorded"
    return None if target.read_text().strip() == file_sha256(path) else "changed"


def read_checked(
    path: Path, columns: list[str] | None = None, storage: Storage | None = None
) -> pa.Table:
    """``path`` (on ``storage``, else this machine's disk) as a table; a file that cannot be
    read raises :class:`DamagedFile`."""
    try:
        if storage is None:
            return pq.read_table(path, columns=columns)
        return storage.read_table(path, columns=columns)
    except (pa.ArrowException, OSError) as exc:
        where = path if storage is None else storage.display(path)
        raise DamagedFile(
            f"{where}: damaged ({exc}); `axiom verify` lists damage, `axiom repair` rebuilds it"
        ) from exc


def record_digest(storage: Storage, path: Path, digest: str) -> None:
    """Record ``digest`` as the sha256 of ``path`` on ``storage`` (beside it, in
    ``.checksums/``)."""
    storage.write_bytes(sidecar(path), digest.encode())


def write_checked(storage: Storage, table: pa.Table, path: Path, **options: object) -> None:
    """Write ``table`` to ``path`` on ``storage`` atomically and record its checksum."""
    record_digest(storage, path, storage.write_parquet(table, path, **options))
