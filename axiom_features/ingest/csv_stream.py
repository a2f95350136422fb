"""Reads a delimited text file in chunks of rows, each a :class:`RawFile` with its lines.

Memory stays bounded by the chunk, whatever the file's size. Decoding, delimiter sniffing,
blank lines and field-count flags behave as in :func:`csv_reader.read_csv`.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from axiom_features.ingest.csv_reader import FIELD_COUNT_RULE, _frame, _unique, sniff_delimiter
from axiom_features.ingest.errors import IngestError
from axiom_features.ingest.raw import RawFile

PROBE_BYTES = 1 << 20


def _encoding(path: Path) -> str:
    try:
        head = path.open("rb").read(PROBE_BYTES)
    except OSError as exc:
        raise IngestError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    if b"\x00" in head[:8192]:
        raise IngestError(f"{path}: not a text file (binary content)")
    try:
        head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut by the probe's end
            return "latin-1"
    return "utf-8-sig"


def iter_csv(path: Path, chunk_rows: int = 200_000, start_row: int = 0) -> Iterator[RawFile]:
    """The file's rows in chunks of at most ``chunk_rows``, each row with its physical line;
    the first ``start_row`` rows are skipped (counted, not handed out)."""
    encoding = _encoding(path)
    with path.open("r", encoding=encoding, errors="replace", newline="") as handle:
        first = ""
        for line in handle:
            if line.strip():
                first = line
                break
        if not first:
            raise IngestError(f"{path}: file is empty")
        delimiter = sniff_delimiter(first)
        header = _unique([h.strip() for h in next(csv.reader([first], delimiter=delimiter))])
        start_line = _line_of_header(path, encoding)
        reader = csv.reader(handle, delimiter=delimiter)
        rows: list[list[str]] = []
        lines: list[int] = []
        previous = 0
        seen = 0
        try:
            for row in reader:
                begin, previous = previous + 1, reader.line_num
                if not any(field.strip() for field in row):
                    continue
                if seen < start_row:
                    seen += 1
                    continue
                rows.append(row)
                lines.append(start_line + begin)
                if len(rows) >= chunk_rows:
                    seen += len(rows)
                    yield _chunk(path, header, rows, lines, delimiter)
                    rows, lines = [], []
        except csv.Error as exc:
            line = start_line + previous + 1
            raise IngestError(f"{path}: line {line}: unreadable CSV ({exc})") from exc
        if rows:
            seen += len(rows)
            yield _chunk(path, header, rows, lines, delimiter)
        if not seen:
            raise IngestError(f"{path}: has a header but no rows")


def _line_of_header(path: Path, encoding: str) -> int:
    with path.open("r", encoding=encoding, errors="replace", newline="") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                return number
    return 1


def _chunk(
    path: Path, header: list[str], rows: list[list[str]], lines: list[int], delimiter: str
) -> RawFile:
    frame, misshapen = _frame(header, rows, delimiter)
    flags = {FIELD_COUNT_RULE: misshapen} if misshapen.any() else {}
    notes = [] if delimiter == "," else [f"delimiter {delimiter!r} detected"]
    return RawFile(
        path=path, frame=frame, lines=np.asarray(lines, dtype=np.int64), notes=notes, flags=flags
    )
