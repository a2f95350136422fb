"""Compressed inputs: ``.gz``, ``.bz2``, ``.zst`` and single-file ``.zip`` around a CSV/Parquet.

The file is decompressed into a temporary folder, read by the reader of its inner suffix,
and reported under its own name (``prices.csv.gz``), so lines and errors point at it.
"""

from __future__ import annotations

import bz2
import gzip
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from axiom_features.ingest.errors import IngestError
from axiom_features.ingest.raw import RawFile

COMPRESSED_SUFFIXES = frozenset({".gz", ".bz2", ".zst", ".zip"})


def is_compressed(path: Path) -> bool:
    return path.suffix.lower() in COMPRESSED_SUFFIXES


def inner_suffix(path: Path) -> str:
    """The suffix under the compression: ``.csv`` for ``prices.csv.gz``."""
    if not is_compressed(path):
        return path.suffix.lower()
    if path.suffix.lower() == ".zip":
        return Path(_zip_member(path)).suffix.lower()
    return Path(path.stem).suffix.lower()


def read_compressed(path: Path, read: Callable[[Path], RawFile]) -> RawFile:
    """Decompress ``path`` and read it with ``read``; the result names ``path``."""
    inner = inner_suffix(path)
    with tempfile.TemporaryDirectory(prefix="axiom-") as folder:
        target = Path(folder) / f"data{inner}"
        try:
            with _open(path) as source, target.open("wb") as out:
                shutil.copyfileobj(source, out, length=1 << 20)
        except (OSError, EOFError, zipfile.BadZipFile, ValueError) as exc:
            raise IngestError(f"{path}: cannot be decompressed ({exc})") from exc
        raw = read(target)
    raw.path = path
    return raw


def _open(path: Path) -> BinaryIO:
    suffix = path.suffix.lower()
    if suffix == ".gz":
        return gzip.open(path, "rb")
    if suffix == ".bz2":
        return bz2.open(path, "rb")
    if suffix == ".zst":
        import zstandard

        return zstandard.ZstdDecompressor().stream_reader(path.open("rb"), closefd=True)
    archive = zipfile.ZipFile(path)
    return archive.open(_zip_member(path))


def _zip_member(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if not n.endswith("/")]
    except (OSError, zipfile.BadZipFile) as exc:
        raise IngestError(f"{path}: cannot be decompressed ({exc})") from exc
    if len(names) != 1:
        raise IngestError(f"{path}: a .zip must hold exactly one file, found {len(names)}")
    return names[0]
