"""Which files an import reads, and the reader for each kind."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from axiom_features.ingest.compressed import inner_suffix, is_compressed, read_compressed
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
            found = sorted(p for p in item.iterdir() if _importable(p))
            if not found:
                raise IngestError(f"{item}: directory holds no .csv or .parquet files")
            files.extend(found)
        elif item.exists():
            files.append(item)
        else:
            raise IngestError(f"{item}: no such file or directory")
    return list(dict.fromkeys(files))


def _importable(path: Path) -> bool:
    if is_compressed(path):
        return Path(path.stem).suffix.lower() in DIRECTORY_SUFFIXES or path.suffix == ".zip"
    return path.suffix.lower() in DIRECTORY_SUFFIXES


def read_source(path: Path) -> RawFile:
    """Read one file by its suffix (CSV-like text or Parquet, either possibly compressed)."""
    suffix = inner_suffix(path)
    if suffix in TEXT_SUFFIXES:
        reader = read_csv
    elif suffix in PARQUET_SUFFIXES:
        reader = read_parquet
    else:
        raise IngestError(
            f"{path}: unsupported file type '{suffix}' (expected .csv or .parquet, "
            "optionally .gz, .bz2, .zst or .zip)"
        )
    return read_compressed(path, reader) if is_compressed(path) else reader(path)
