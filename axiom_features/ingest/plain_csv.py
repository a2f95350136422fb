"""Fast chunked reading of a *plain* CSV file with Arrow's streaming reader.

A file is plain when one byte scan shows that the Python reader (:mod:`.csv_stream`) would
see one row per physical line: printable ASCII only, ',' as the delimiter, no quotes, no
carriage returns, no blank lines, the header on line 1. Its rows are then read as text
columns by ``pyarrow.csv`` (no per-row Python) and handed out in the same chunks of
``chunk_rows`` rows, each row on line ``row + 2``. Any other file, or a plain-looking file
with a row whose field count differs from the header's (Arrow refuses it), is read by the
Python reader from the first row not yet handed out, so callers see the same chunks, rows,
lines and field-count flags either way.
"""

from __future__ import annotations

import mmap
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from axiom_features.ingest.csv_reader import _unique, sniff_delimiter
from axiom_features.ingest.csv_stream import iter_csv
from axiom_features.ingest.raw import RawFile

BLOCK_BYTES = 16 << 20
"""Bytes Arrow parses (and the plainness scan reads) at a time."""
PLAIN_BYTES = (bytes(range(0x20, 0x7F)) + b"\n").replace(b'"', b"")
"""Printable ASCII and the line feed, without the quote character."""


def plain_header(path: Path) -> list[str] | None:
    """The column names when ``path`` is plain (see the module), else None."""
    try:
        size = path.stat().st_size
    except OSError:
        return None
    if size == 0:
        return None
    with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        for start in range(0, size, BLOCK_BYTES):
            if data[start : start + BLOCK_BYTES].translate(None, PLAIN_BYTES):
                return None  # a byte outside PLAIN_BYTES
        if data.find(b"\n\n") >= 0:
            return None
        end = data.find(b"\n")
        first = data[: end if end >= 0 else size].decode("ascii")
    if not first.strip() or sniff_delimiter(first) != ",":
        return None
    return _unique([h.strip() for h in first.split(",")])


def iter_plain_csv(path: Path, chunk_rows: int) -> Iterator[RawFile]:
    """The file's rows in chunks of ``chunk_rows`` (as :func:`.csv_stream.iter_csv`)."""
    names = plain_header(path)
    if names is None:
        yield from iter_csv(path, chunk_rows)
        return
    done = 0
    try:
        for table in _tables(path, names, chunk_rows):
            yield _chunk(path, table, done)
            done += table.num_rows
    except pa.ArrowInvalid:
        yield from iter_csv(path, chunk_rows, start_row=done)
        return
    if not done:
        yield from iter_csv(path, chunk_rows)  # raises as the Python reader does


def _tables(path: Path, names: list[str], chunk_rows: int) -> Iterator[pa.Table]:
    reader = pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(
            column_names=names, skip_rows=1, block_size=BLOCK_BYTES, use_threads=True
        ),
        parse_options=pacsv.ParseOptions(delimiter=","),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()),
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    pending: list[pa.RecordBatch] = []
    held = 0
    for batch in reader:
        pending.append(batch)
        held += batch.num_rows
        while held >= chunk_rows:
            table = pa.Table.from_batches(pending)
            yield table.slice(0, chunk_rows)
            rest = table.slice(chunk_rows)
            pending, held = rest.to_batches(), rest.num_rows
    if held:
        yield pa.Table.from_batches(pending)


def _chunk(path: Path, table: pa.Table, first_row: int) -> RawFile:
    table = table.combine_chunks()
    frame = table.to_pandas(types_mapper=pd.ArrowDtype)
    lines = np.arange(first_row + 2, first_row + 2 + table.num_rows, dtype=np.int64)
    return RawFile(path=path, frame=frame, lines=lines, text=table)
