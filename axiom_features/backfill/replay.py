"""Run a recorded backfill or transform again with the inputs it recorded, and say what
differs.

The recorded lake files (by sha256) are copied into a scratch repository, the run is
computed there with its recorded parameters and ``created`` time, and each view and
symbol's output is compared with what the run recorded (a backfill: the range's values
digest; a transform: the offline file's sha256); where they differ, values are counted
against the stored offline table.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import pyarrow as pa

from axiom_features.backfill.digests import changed_inputs, rows_in_range, time_bound
from axiom_features.backfill.jobs import COMMAND as BACKFILL
from axiom_features.backfill.ranges import backfill_range
from axiom_features.backfill.transform_replay import COMMAND as TRANSFORM
from axiom_features.backfill.transform_replay import differing_files, read_pair
from axiom_features.lakes.checksums import read_checked
from axiom_features.lakes.symbols import symbol_file
from axiom_features.lineage.hooks import recorded_log
from axiom_features.paths import RepoPaths
from axiom_features.pipeline.runs import RunLog, RunRecord

REPLAYABLE = (BACKFILL, TRANSFORM)


class NotReplayable(ValueError):
    """A run that cannot be replayed: unknown, of another command, or its inputs are gone."""


@dataclass
class ViewDifference:
    """How one view's replayed rows differ from the run's."""

    symbols: list[str] = field(default_factory=list)
    values: int = 0


@dataclass
class ReplayReport:
    run_id: str
    replay_run_id: str
    differences: dict[str, ViewDifference] = field(default_factory=dict)

    @property
    def identical(self) -> bool:
        return not self.differences

    def summary(self) -> str:
        """``identical``, or one line naming each differing view and its value count."""
        if self.identical:
            return f"replay of {self.run_id}: identical"
        parts = [
            f"{view}: {d.values} value(s) in {len(d.symbols)} symbol(s)"
            for view, d in sorted(self.differences.items())
        ]
        return f"replay of {self.run_id}: differs: " + "; ".join(parts)


def _record(repo: RepoPaths, run_id: str) -> RunRecord:
    try:
        record = RunLog(repo.runs).read(run_id)
    except FileNotFoundError:
        raise NotReplayable(f"replay: no run {run_id!r} in {repo.runs}") from None
    if record.command not in REPLAYABLE or "input_hashes" not in record.parameters:
        raise NotReplayable(
            f"replay: run {run_id} is a {record.command!r} run with no recorded input "
            f"hashes; replayable: {', '.join(REPLAYABLE)}"
        )
    return record


def _copy_inputs(repo: RepoPaths, names: list[str], scratch: Path) -> None:
    for name in names:
        target = scratch / name
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            target.hardlink_to(repo.root / name)
        except OSError:
            shutil.copy2(repo.root / name, target)


def differing_values(replayed: pa.Table, stored: pa.Table | None) -> int:
    """Feature values that differ between two tables of one range (NaN equals NaN); rows or
    columns present on one side only count every value they hold."""
    features = [c for c in replayed.column_names if c not in _KEYS]
    if stored is None:
        return replayed.num_rows * len(features)
    stored_features = [c for c in stored.column_names if c not in _KEYS]
    count = abs(len(set(features) ^ set(stored_features))) * max(replayed.num_rows, stored.num_rows)
    if replayed.num_rows != stored.num_rows or not replayed.column("event_timestamp").equals(
        stored.column("event_timestamp").cast(replayed.schema.field("event_timestamp").type)
    ):
        return count + replayed.num_rows * len(features)
    for name in sorted(set(features) & set(stored_features)):
        a = replayed.column(name).to_numpy(zero_copy_only=False)
        b = stored.column(name).to_numpy(zero_copy_only=False)
        same = (a == b) | (np.isnan(a) & np.isnan(b))
        count += int((~same).sum())
    return count


_KEYS = ("symbol", "event_timestamp", "created_timestamp")


def replay(root: Path, run_id: str) -> ReplayReport:
    """Compute run ``run_id`` again from its recorded inputs; report what differs."""
    repo = RepoPaths(root)
    record = _record(repo, run_id)
    params = record.parameters
    recorded: dict[str, str] = params["input_hashes"]
    changed = changed_inputs(repo, recorded)
    if changed:
        raise NotReplayable(
            f"replay: {len(changed)} input(s) of run {run_id} changed since it ran, "
            f"first {changed[0]}; the lake no longer holds what it read"
        )
    if record.command == TRANSFORM:
        return _replay_transform(root, record)
    start, end = datetime.fromisoformat(params["start"]), datetime.fromisoformat(params["end"])
    with (
        recorded_log(root).track("replay", parameters={"run_id": run_id}) as own,
        tempfile.TemporaryDirectory(prefix="axiom-replay-") as folder,
    ):
        scratch = RepoPaths(Path(folder))
        _copy_inputs(repo, list(recorded), scratch.root)
        result = backfill_range(
            scratch,
            start,
            end,
            created=datetime.fromisoformat(params["created"]),
            views=params.get("views"),
            symbols=params.get("symbols"),
        )
        report = ReplayReport(run_id=run_id, replay_run_id=own.run_id)
        expected: dict[str, dict[str, str]] = params.get("output_digests", {})
        for view, digests in result.digests.items():
            for symbol, digest in digests.items():
                if expected.get(view, {}).get(symbol) == digest:
                    continue
                ours = rows_in_range(
                    read_checked(symbol_file(scratch.offline_view(view), symbol)),
                    time_bound(start),
                    time_bound(end),
                )
                path = symbol_file(repo.offline_view(view), symbol)
                theirs = (
                    rows_in_range(read_checked(path), time_bound(start), time_bound(end))
                    if path.is_file()
                    else None
                )
                difference = report.differences.setdefault(view, ViewDifference())
                difference.symbols.append(symbol)
                difference.values += max(differing_values(ours, theirs), 1)
        own.inputs = [f"run:{run_id}"]
        own.row_counts = {view: d.values for view, d in report.differences.items()}
    return report


def _replay_transform(root: Path, record: RunRecord) -> ReplayReport:
    """A transform run computed again in a scratch repository from its recorded lake files,
    with its symbols, views and ``created`` time; its offline files compared byte for byte."""
    from axiom_features.pipeline.transform_job import run_transform_job

    repo, params = RepoPaths(root), record.parameters
    recorded: dict[str, dict[str, str]] = params["output_hashes"]
    symbols = sorted({s for per_view in recorded.values() for s in per_view})
    with (
        recorded_log(root).track("replay", parameters={"run_id": record.run_id}) as own,
        tempfile.TemporaryDirectory(prefix="axiom-replay-") as folder,
    ):
        scratch = RepoPaths(Path(folder))
        _copy_inputs(repo, list(params["input_hashes"]), scratch.root)
        run_transform_job(
            scratch,
            symbols=symbols,
            views=list(recorded),
            created=datetime.fromisoformat(params["created"]),
        )
        report = ReplayReport(run_id=record.run_id, replay_run_id=own.run_id)
        for view, files in differing_files(repo, scratch, recorded).items():
            difference = report.differences.setdefault(view, ViewDifference())
            for symbol, (ours, stored) in sorted(files.items()):
                difference.symbols.append(symbol)
                if not ours.is_file():
                    difference.values += 1
                    continue
                replayed, theirs = read_pair(ours, stored)
                difference.values += max(differing_values(replayed, theirs), 1)
        own.inputs = [f"run:{record.run_id}"]
        own.row_counts = {view: d.values for view, d in report.differences.items()}
    return report
