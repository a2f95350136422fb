"""Where a batch's rows came from: each gate row mapped back to its file and line.

An import concatenates several normalized files into one batch; these helpers map a row
position in that batch back to ``(file, line)`` for block messages, findings, the
quarantine table and the per-file report.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pyarrow as pa

from axiom_features.ingest.normalize import NormalizedFile
from axiom_features.ingest.results import FileReport
from axiom_features.quality.gate import BatchBlocked, GateResult
from axiom_features.quality.quarantine import json_records, quarantine_rows


def locator(parts: Sequence[NormalizedFile]):  # noqa: ANN202 - a Locate
    def locate(positions: np.ndarray) -> list[tuple[str, int]]:
        positions = np.asarray(positions, dtype=np.int64)
        owner = np.searchsorted(offsets(parts), positions, side="right") - 1
        local = positions - offsets(parts)[owner]
        return [
            (parts[k].raw.name, int(parts[k].raw.lines[i]))
            for k, i in zip(owner, local, strict=True)
        ]

    return locate


def located(exc: BatchBlocked, parts: Sequence[NormalizedFile]) -> BatchBlocked:
    """The same verdict, naming each failing row by ``file:line``."""
    if exc.rows is None:
        return BatchBlocked(str(exc), rule=exc.rule)
    locations = [f"{file}:{line}" for file, line in locator(parts)(exc.rows)]
    head, _, _ = str(exc).partition(" in ")
    shown = ", ".join(locations[:10]) + (" …" if len(locations) > 10 else "")
    message = f"{head} in {len(locations)} row(s): {shown}"
    return BatchBlocked(message, rule=exc.rule, rows=exc.rows, locations=locations)


def with_locations(findings: pd.DataFrame, locate, run_id: str) -> pd.DataFrame:  # noqa: ANN001
    if findings.empty:
        return findings
    places = locate(findings["row"].to_numpy())
    return findings.assign(
        run_id=run_id,
        source_file=[f for f, _ in places],
        source_line=np.array([line for _, line in places], dtype=np.int64),
    )


def offsets(parts: Sequence[NormalizedFile]) -> np.ndarray:
    return np.cumsum([0] + [len(p.bars) for p in parts])


def part_of(rows: pd.Index, parts: Sequence[NormalizedFile]) -> np.ndarray:
    return np.searchsorted(offsets(parts), rows.to_numpy(), side="right") - 1


def quarantine_table(gate: GateResult, parts: Sequence[NormalizedFile], run_id: str) -> pa.Table:
    rejected = gate.rejected
    owner = part_of(rejected.index, parts)
    local = rejected.index.to_numpy() - offsets(parts)[owner]
    files: list[str] = [""] * len(rejected)
    lines = np.zeros(len(rejected), dtype=np.int64)
    records: list[str] = [""] * len(rejected)
    for k, part in enumerate(parts):
        where = np.flatnonzero(owner == k)
        if not len(where):
            continue
        rows = local[where]
        lines[where] = part.raw.lines[rows]
        for i, record in zip(where, json_records(part.raw.frame.iloc[rows]), strict=True):
            files[i], records[i] = part.raw.name, record
    return quarantine_rows(
        rejected,
        run_id=run_id,
        quarantined_at=pd.Timestamp(datetime.now(UTC)).floor("us"),
        source_file=files,
        source_line=lines,
        raw_record=records,
    )


def file_reports(gate: GateResult, parts: Sequence[NormalizedFile]) -> list[FileReport]:
    accepted = np.bincount(part_of(gate.accepted.index, parts), minlength=len(parts))
    rejected = np.bincount(part_of(gate.rejected.index, parts), minlength=len(parts))
    return [
        FileReport(
            path=part.raw.name,
            rows_in=len(part.bars),
            accepted=int(accepted[k]),
            quarantined=int(rejected[k]),
            symbols=tuple(sorted(part.bars["symbol"].dropna().unique())),
            notes=tuple(part.notes),
            adj_close_ignored=part.adj_close_ignored,
        )
        for k, part in enumerate(parts)
    ]
