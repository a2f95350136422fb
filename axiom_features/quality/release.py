"""Releasing quarantined rows: re-validate them (after a fix) and admit those that now pass.

Held rows are checked again together with the lake's stored bars of their symbols, so rules
that look across rows (duplicates, spikes, session closes) see the same context a fresh
import would. Rows that pass go into the lake and leave the quarantine (a copy is kept under
``data/quality/released/``); the others stay, with the rules they fail now.
``considered == released + still_held`` always.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from axiom_features.contracts import BAR_SCHEMA, QUARANTINE_SCHEMA, conform
from axiom_features.lakes.bars import BarLake, write_parquet_atomic
from axiom_features.lakes.provenance import stamp, write_manifest
from axiom_features.paths import RepoPaths
from axiom_features.quality.context import GateContext
from axiom_features.quality.gate import validate_bars
from axiom_features.quality.quarantine import quarantine_path, read_quarantine
from axiom_features.quality.rules import Rule
from axiom_features.quality.store import quality_dir
from axiom_features.quality.suites import BAR_RULES

ROW_KEY = ("run_id", "source_file", "source_line")
"""Identifies a quarantined row: the run that held it, and where it was read."""
FIXABLE = ("symbol", "event_timestamp", "open", "high", "low", "close", "volume")


@dataclass
class ReleaseResult:
    release_id: str
    considered: int
    released: int
    still_held: int
    new_rows: int
    already_present: int
    rule_counts: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.considered != self.released + self.still_held:
            raise AssertionError(
                f"considered {self.considered} != released {self.released} + held {self.still_held}"
            )


def apply_fixes(held: pd.DataFrame, fixes: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """``held`` with values from ``fixes`` (rows matched on run_id, source_file, source_line).

    Returns the updated rows and the mask of rows a fix touched.
    """
    missing = [c for c in ROW_KEY if c not in fixes]
    if missing:
        raise ValueError(f"fixes lack the key column(s) {', '.join(missing)}")
    columns = [c for c in FIXABLE if c in fixes]
    fixes = fixes.drop_duplicates(list(ROW_KEY), keep="last").copy()
    fixes["source_line"] = fixes["source_line"].astype(np.int64)
    if "event_timestamp" in fixes:
        fixes["event_timestamp"] = pd.to_datetime(fixes["event_timestamp"], utc=True).astype(
            "datetime64[us, UTC]"
        )
    for column in ("open", "high", "low", "close", "volume"):
        if column in fixes:
            fixes[column] = pd.to_numeric(fixes[column], errors="coerce").astype("float64")
    merged = held.merge(fixes[[*ROW_KEY, *columns]], on=list(ROW_KEY), how="left",
                        suffixes=("", "__fix"), indicator=True)  # fmt: skip
    touched = (merged["_merge"] == "both").to_numpy()
    for column in columns:
        merged.loc[touched, column] = merged.loc[touched, f"{column}__fix"]
    return merged[held.columns], touched


def release_quarantine(
    repo: RepoPaths,
    *,
    release_id: str,
    run_id: str | None = None,
    fixes: pd.DataFrame | None = None,
    rules: list[Rule] | tuple[Rule, ...] = BAR_RULES,
    context: GateContext | None = None,
) -> ReleaseResult:
    """Re-validate held rows (one run's, or all; with ``fixes`` only the fixed ones)."""
    held = read_quarantine(repo, run_id)
    if fixes is not None and len(held):
        held, touched = apply_fixes(held, fixes)
        candidates = held[touched].reset_index(drop=True)
    else:
        candidates = held.reset_index(drop=True)
    if candidates.empty:
        return ReleaseResult(release_id, 0, 0, 0, 0, 0)

    bars = _as_bars(candidates)
    context_rows = _lake_context(repo, bars)
    batch = pd.concat([context_rows, bars], ignore_index=True)
    gate = validate_bars(batch, rules=rules, where="quarantine", context=context)
    offset = len(context_rows)
    accepted_pos = gate.accepted.index.to_numpy()
    accepted_pos = accepted_pos[accepted_pos >= offset] - offset
    passed = np.zeros(len(candidates), dtype=bool)
    passed[accepted_pos] = True
    rejected = gate.rejected[gate.rejected.index >= offset]
    labels = pd.Series("", index=range(len(candidates)), dtype=object)
    labels[rejected.index.to_numpy() - offset] = rejected["failed_rules"].to_numpy()

    stored = BarLake(repo).upsert(_stamped(repo, release_id, bars[passed], candidates[passed]))
    _rewrite_quarantine(repo, candidates, passed, labels)
    if passed.any():
        _keep_released(repo, release_id, candidates[passed])
    counts = Counter(n for text in labels[~passed] for n in str(text).split(";") if n)
    return ReleaseResult(
        release_id=release_id,
        considered=len(candidates),
        released=int(passed.sum()),
        still_held=int((~passed).sum()),
        new_rows=stored.new_rows,
        already_present=stored.already_present,
        rule_counts=dict(counts),
    )


def _stamped(
    repo: RepoPaths, release_id: str, bars: pd.DataFrame, held: pd.DataFrame
) -> pd.DataFrame:
    """Released bars stamped with the release run and their original file and line."""
    names = sorted(held["source_file"].astype(str).unique())
    write_manifest(repo, release_id, names)
    files = held["source_file"].astype(str).map({n: k for k, n in enumerate(names)})
    return stamp(bars, release_id, files.to_numpy(), held["source_line"].to_numpy())


def _as_bars(held: pd.DataFrame) -> pd.DataFrame:
    frame = held[BAR_SCHEMA.names].copy()
    frame["symbol"] = frame["symbol"].astype(object)
    frame["source"] = frame["source"].fillna("file").astype(object)
    frame["created_timestamp"] = frame["created_timestamp"].fillna(pd.Timestamp(datetime.now(UTC)))
    for column, dtype in (("event_timestamp", "datetime64[us, UTC]"),
                          ("created_timestamp", "datetime64[us, UTC]")):  # fmt: skip
        frame[column] = frame[column].astype(dtype)
    return frame


def _lake_context(repo: RepoPaths, bars: pd.DataFrame) -> pd.DataFrame:
    symbols = sorted(bars["symbol"].dropna().unique())
    stored = BarLake(repo).read(symbols).to_pandas() if symbols else pd.DataFrame()
    return stored[BAR_SCHEMA.names] if len(stored) else bars.iloc[:0]


def _rewrite_quarantine(
    repo: RepoPaths, candidates: pd.DataFrame, passed: np.ndarray, labels: pd.Series
) -> None:
    """Drop released rows from their run's file; store the new reasons of the others."""
    updated = candidates.assign(failed_rules=labels.to_numpy())[~passed]
    released_keys = candidates[passed][list(ROW_KEY)]
    for run in candidates["run_id"].unique():
        path = quarantine_path(repo, run)
        stored = read_quarantine(repo, run)
        key = pd.MultiIndex.from_frame(stored[list(ROW_KEY)])
        gone = key.isin(pd.MultiIndex.from_frame(released_keys))
        changed = updated[updated["run_id"] == run]
        changed_key = pd.MultiIndex.from_frame(changed[list(ROW_KEY)])
        keep = stored[~gone & ~key.isin(changed_key)]
        frame = pd.concat([keep, changed], ignore_index=True).sort_values(
            ["source_file", "source_line"], kind="stable"
        )
        if frame.empty:
            path.unlink(missing_ok=True)
            continue
        table = pa.Table.from_pandas(frame[QUARANTINE_SCHEMA.names], preserve_index=False)
        write_parquet_atomic(conform(table, QUARANTINE_SCHEMA, path), path)


def released_dir(repo: RepoPaths) -> Path:
    return quality_dir(repo) / "released"


def _keep_released(repo: RepoPaths, release_id: str, rows: pd.DataFrame) -> None:
    frame = rows.assign(released_by=release_id)
    write_parquet_atomic(
        pa.Table.from_pandas(frame, preserve_index=False),
        released_dir(repo) / f"{release_id}.parquet",
    )
