"""Import of one large CSV file in chunks, with memory bounded by the chunk size.

Each chunk is read, normalised and gated on its own (checks in DuckDB); accepted rows are
staged in Arrow files, bucketed by symbol and quarantined rows in a staging file. Only when the
whole file has been read are they committed — quarantine and lake in one transaction — so a
file that turns out unreadable half-way, or a killed process, leaves nothing behind.

Keys are remembered across chunks (64-bit hashes of key and values): a later exact copy of
an earlier row is held as ``unique_key``, a later row with the same key and other values
as ``unique_key_conflict`` (the earlier one, already accepted, stays). A row whose key the
lake already holds with other values is a correction and follows ``on_conflict`` as in a
whole-file import (:mod:`axiom_features.ingest.corrections`); replacements are staged apart
and stored in place, with the old versions kept, in the same transaction. Rules that look
along a series (spikes, stale prices, session closes) see one chunk at a time.
"""

from __future__ import annotations

import shutil
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from axiom_features.contracts import BAR_KEY, NUMERIC_BAR_COLUMNS, QUARANTINE_SCHEMA, conform
from axiom_features.ingest.corrections import settle
from axiom_features.ingest.locations import located, quarantine_table
from axiom_features.ingest.new_symbols import store_accepted
from axiom_features.ingest.normalize import NormalizedFile
from axiom_features.ingest.plain_csv import iter_plain_csv
from axiom_features.ingest.stamps import stamp_rows
from axiom_features.lakes.bars import BarLake, UpsertResult
from axiom_features.lakes.history import keep_replaced
from axiom_features.lakes.provenance import write_manifest
from axiom_features.lakes.transaction import transaction
from axiom_features.paths import RepoPaths
from axiom_features.quality.context import GateContext
from axiom_features.quality.gate import BatchBlocked, GateResult, validate_bars
from axiom_features.quality.quarantine import not_held_before, quarantine_path, write_quarantine
from axiom_features.quality.rules import Rule
from axiom_features.quality.store import quality_dir
from axiom_features.quality.suites import BAR_RULES

BUCKETS = 16


@dataclass
class StreamTotals:
    rows_in: int = 0
    accepted: int = 0
    quarantined: int = 0
    warned: int = 0
    rule_counts: Counter = field(default_factory=Counter)
    symbols: set[str] = field(default_factory=set)
    stored: UpsertResult = UpsertResult(0, 0, 0)
    corrections: int = 0
    already_held: int = 0
    """Held rows an earlier run already holds (counted, not stored again)."""
    replaced: int = 0
    replaced_from: dict[str, pd.Timestamp] = field(default_factory=dict)
    """Per symbol, its earliest replaced bar (features recompute from there)."""
    chunks: int = 0
    notes: list[str] = field(default_factory=list)


class KeyMemory:
    """Hashes of the keys (and values) accepted so far, to catch copies across chunks."""

    def __init__(self) -> None:
        self.keys = np.empty(0, dtype=np.uint64)
        self.values = np.empty(0, dtype=np.uint64)

    @staticmethod
    def hashes(bars: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        keys = pd.util.hash_pandas_object(bars[list(BAR_KEY)], index=False).to_numpy()
        values = pd.util.hash_pandas_object(bars[list(NUMERIC_BAR_COLUMNS)], index=False)
        return keys, values.to_numpy()

    def seen(self, keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per row: its key was accepted before (same values), or before with other values."""
        if not len(self.keys):
            none = np.zeros(len(keys), dtype=bool)
            return none, none.copy()
        where = np.searchsorted(self.keys, keys).clip(0, len(self.keys) - 1)
        known = self.keys[where] == keys
        same = known & (self.values[where] == values)
        return same, known & ~same

    def add(self, keys: np.ndarray, values: np.ndarray) -> None:
        """Remember ``keys`` (with their values) after those already held, kept sorted: the
        new ones are sorted and merged in, so a chunk costs its own sort, not the file's."""
        order = np.argsort(keys, kind="stable")
        keys, values = keys[order], values[order]
        where = np.searchsorted(self.keys, keys, side="right")
        self.keys = np.insert(self.keys, where, keys)
        self.values = np.insert(self.values, where, values)


def stream_csv(
    path: Path,
    repo: RepoPaths,
    *,
    run_id: str,
    chunk_rows: int,
    convert,  # noqa: ANN001 - RawFile -> NormalizedFile
    gate_options: dict,
    rules: Sequence[Rule] = BAR_RULES,
    on_conflict: str = "quarantine",
    on_chunk=None,  # noqa: ANN001 - Callable[[NormalizedFile, GateResult], None]
) -> StreamTotals:
    """Read, gate and stage ``path`` chunk by chunk, then commit; returns the totals."""
    staging = quality_dir(repo) / "staging" / run_id
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    totals, memory, lake = StreamTotals(), KeyMemory(), BarLake(repo)
    try:
        for raw in iter_plain_csv(path, chunk_rows):
            part: NormalizedFile = convert(raw)
            bars = part.bars
            keys, values = KeyMemory.hashes(bars)
            same, other = memory.seen(keys, values)
            failures = part.failures.copy()
            failures[same] = _add(failures[same], "unique_key")
            failures[other] = _add(failures[other], "unique_key_conflict")
            context = GateContext(engine="duckdb", **gate_options)
            try:
                gate = validate_bars(
                    bars, prior_failures=failures, rules=rules, context=context, where=str(path)
                )
            except BatchBlocked as exc:
                raise located(exc, [part]) from exc
            accepted_pos = gate.accepted.index.to_numpy()
            memory.add(keys[accepted_pos], values[accepted_pos])
            gate, found = settle(lake, gate, on_conflict)
            replacing = found.index if on_conflict == "replace" else found.index[:0]
            _stage(staging, totals.chunks, part, gate, run_id, replacing)
            _count(totals, part, gate)
            _count_corrections(totals, found, replacing)
            if on_chunk is not None:
                on_chunk(part, gate)
        write_manifest(repo, run_id, [str(path)])
        _commit(staging, repo, run_id, totals)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return totals


def _add(labels: pd.Series, name: str) -> pd.Series:
    return labels.where(labels == "", labels + ";").fillna("") + name


def _count(totals: StreamTotals, part: NormalizedFile, gate: GateResult) -> None:
    totals.chunks += 1
    totals.rows_in += len(part.bars)
    totals.accepted += len(gate.accepted)
    totals.quarantined += len(gate.rejected)
    totals.warned += len(gate.warnings)
    totals.rule_counts.update(gate.rule_counts)
    totals.symbols |= set(part.bars["symbol"].dropna().unique())
    totals.notes = sorted(set(totals.notes) | set(part.notes))


def _count_corrections(totals: StreamTotals, found: pd.DataFrame, replacing: pd.Index) -> None:
    totals.corrections += len(found)
    earliest = found.loc[replacing].groupby("symbol")["event_timestamp"].min()
    for symbol, when in earliest.items():
        known = totals.replaced_from.get(str(symbol))
        totals.replaced_from[str(symbol)] = when if known is None else min(known, when)


def _bucket(symbols: pd.Series) -> np.ndarray:
    codes, uniques = pd.factorize(symbols.to_numpy(dtype=object), use_na_sentinel=False)
    buckets = [zlib.crc32(str(s).encode()) % BUCKETS for s in uniques]
    return np.asarray(buckets, dtype=np.int64)[codes]


def _stage(
    staging: Path,
    chunk: int,
    part: NormalizedFile,
    gate: GateResult,
    run_id: str,
    replacing: pd.Index,
) -> None:
    accepted = stamp_rows(gate.accepted, [part], run_id)
    if len(replacing):
        accepted.loc[replacing].to_parquet(staging / f"replace-{chunk:06d}.parquet", index=False)
        accepted = accepted.drop(index=replacing)
    if len(accepted):
        buckets = _bucket(accepted["symbol"])
        table = pa.Table.from_pandas(accepted, preserve_index=False)
        for b in np.unique(buckets):
            path = staging / f"accepted-{b:02d}" / f"{chunk:06d}.arrow"
            path.parent.mkdir(exist_ok=True)
            _write_staged(table.filter(buckets == b), path)
    if len(gate.rejected):
        table = quarantine_table(gate, [part], run_id)
        pq.write_table(table, staging / f"held-{chunk:06d}.parquet")


STAGED = pa.ipc.IpcWriteOptions(compression="lz4")
"""Accepted rows wait for the commit as Arrow files: written and read back without encoding."""


def _write_staged(table: pa.Table, path: Path) -> None:
    with pa.ipc.new_file(path, table.schema, options=STAGED) as writer:
        writer.write_table(table)


def _read_staged(path: Path) -> pa.Table:
    with pa.OSFile(str(path), "rb") as source:
        return pa.ipc.open_file(source).read_all()


def _commit(staging: Path, repo: RepoPaths, run_id: str, totals: StreamTotals) -> None:
    held = sorted(staging.glob("held-*.parquet"))
    lake = BarLake(repo)
    stored = UpsertResult(0, 0, 0)
    with transaction(repo, run_id) as tx:
        if held:
            if quarantine_path(repo, run_id).exists():
                raise FileExistsError(f"run {run_id} already has a quarantine file")
            tables = [conform(pq.read_table(p), QUARANTINE_SCHEMA, p) for p in held]
            every = pa.concat_tables(tables)
            fresh = not_held_before(every, repo, run_id)
            totals.already_held = every.num_rows - fresh.num_rows
            if fresh.num_rows:
                write_quarantine(fresh, repo, run_id, tx)
        for folder in sorted(staging.glob("accepted-*")):
            parts = [_read_staged(p) for p in sorted(folder.glob("*.arrow"))]
            rows = pa.concat_tables([t.replace_schema_metadata(None) for t in parts])
            stored = stored.plus(store_accepted(lake, rows, tx))
        replacements = sorted(staging.glob("replace-*.parquet"))
        if replacements:
            frame = pd.concat([pd.read_parquet(p) for p in replacements], ignore_index=True)
            old = lake.replace_rows(frame, tx)
            replaced_at = pd.Timestamp(datetime.now(UTC)).floor("us")
            keep_replaced(repo, old, run_id=run_id, replaced_at=replaced_at, transaction=tx)
            totals.replaced = len(frame)
    totals.stored = stored
