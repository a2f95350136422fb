"""Which files an import reads, and the reader for each kind."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from axiom_features.ingest.csv_reader import read_csv
from axiom_features.ingest.errors import IngestError
from axiom_features.ingest.parquet_reader import read_parquet
from axiom_features.ingest.raw import RawFile

TEXT_SUFFIXES = frozenset({".csv", ".tsv", ".txt"})
PARQUET_SUFFIXES = frozenset({".parquet", ".pq"})
DIRECTORY_SUFFIXES = frozenset({".csv", ".parquet"})


def expand(paths: Path | str | Iterable[Path | str]) -> list[Path]:
    """Files named by ``paths``; a directory stands for its ``*.csv`` and ``*.parquet`` files."""
    items = [paths] if isinstance(paths, str | Path) else list(paths)
    if not items:
        raise IngestError("no input files given")
    files: list[Path] = []
    for item in map(Path, items):
        if item.is_dir():
            found = sorted(p for p in item.iterdir() if p.suffix.lower() in DIRECTORY_SUFFIXES)
            if not found:
                raise IngestError(f"{item}: directory holds no .csv or .parquet files")
            files.extend(found)
        elif item.exists():
            files.append(item)
        else:
            raise IngestError(f"{item}: no such file or directory")
    return list(dict.fromkeys(files))


def read_source(path: Path) -> RawFile:
    """Read one file by its suffix (CSV-like text or Parquet)."""
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return read_csv(path)
    if suffix in PARQUET_SUFFIXES:
        return read_parquet(path)
    raise IngestError(f"{path}: unsupported file type '{suffix}' (expected .csv or .parquet)")
