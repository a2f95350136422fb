"""Reads a delimited text file into a :class:`RawFile`, keeping each row's physical line.

The delimiter is sniffed from the header line (',', ';', tab or '|'). Rows with a field
count different from the header's are kept (padded or with the surplus in ``__extra__``)
and flagged ``field_count`` so the gate can quarantine them with their line.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd

from axiom_features.ingest.errors import IngestError
from axiom_features.ingest.raw import RawFile

DELIMITERS = (",", ";", "\t", "|")
EXTRA_COLUMN = "__extra__"
FIELD_COUNT_RULE = "field_count"


def _decode(data: bytes, path: Path) -> str:
    if b"\x00" in data[:8192]:
        raise IngestError(f"{path}: not a text file (binary content)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def sniff_delimiter(header_line: str) -> str:
    """The candidate delimiter that splits the header into the most fields (',' on a tie)."""
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        k = seen.get(name, 0)
        seen[name] = k + 1
        out.append(name if k == 0 else f"{name}.{k}")
    return out


def read_csv(path: Path) -> RawFile:
    """The file's rows, each with its physical line number."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    text = _decode(data, path)
    if not text.strip():
        raise IngestError(f"{path}: file is empty")
    first_line = next(line for line in text.splitlines() if line.strip())
    delimiter = sniff_delimiter(first_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    rows: list[list[str]] = []
    lines: list[int] = []
    previous = 0
    try:
        for row in reader:
            start, previous = previous + 1, reader.line_num
            if not any(field.strip() for field in row):
                continue
            if header is None:
                header = _unique([h.strip() for h in row])
            else:
                rows.append(row)
                lines.append(start)
    except csv.Error as exc:
        raise IngestError(f"{path}: line {previous + 1}: unreadable CSV ({exc})") from exc
    if not rows:
        raise IngestError(f"{path}: has a header but no rows")
    assert header is not None
    frame, misshapen = _frame(header, rows, delimiter)
    notes = [] if delimiter == "," else [f"delimiter {delimiter!r} detected"]
    flags = {FIELD_COUNT_RULE: misshapen} if misshapen.any() else {}
    lines_array = np.asarray(lines, dtype=np.int64)
    return RawFile(path=path, frame=frame, lines=lines_array, notes=notes, flags=flags)


def _frame(
    header: list[str], rows: list[list[str]], delimiter: str
) -> tuple[pd.DataFrame, np.ndarray]:
    width = len(header)
    misshapen = np.fromiter((len(r) != width for r in rows), dtype=bool, count=len(rows))
    if not misshapen.any():
        return pd.DataFrame(rows, columns=header, dtype=object), misshapen
    extra = [delimiter.join(r[width:]) if len(r) > width else None for r in rows]
    fitted = [r[:width] + [None] * (width - len(r)) for r in rows]
    frame = pd.DataFrame(fitted, columns=header, dtype=object)
    if any(e is not None for e in extra):
        frame[EXTRA_COLUMN] = extra
    return frame, misshapen
