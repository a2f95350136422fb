"""Run records: one JSON file per job run, the seed of lineage and the audit trail."""

from __future__ import annotations

import json
import os
import secrets
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from axiom_features import __version__
from axiom_features.ops.usage import UsageMeter


def new_run_id(now: datetime | None = None) -> str:
    """A sortable, unique run id such as ``20261126T083000Z-3f9a1c``."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{secrets.token_hex(3)}"


@dataclass
class RunRecord:
    """What one job run did: its command, inputs, outputs, row counts and outcome."""

    run_id: str
    command: str
    started_at: str
    ended_at: str | None = None
    status: str = "running"
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    row_counts: dict[str, int] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    code_version: str = __version__
    cpu_seconds: float | None = None
    """CPU time of the job's process and the worker processes it waited for."""
    wall_seconds: float | None = None
    peak_rss_mb: float | None = None
    """Peak resident memory of the job's process or its largest worker, whichever is larger."""
    rows_read: int | None = None
    rows_written: int | None = None
    bytes_read: int | None = None
    """Bytes passed to read() calls (``/proc/self/io`` rchar, waited-for workers included)."""
    bytes_written: int | None = None
    storage_growth_bytes: int | None = None
    """Change in the size of the data folder over the run."""

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True, default=str)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunRecord:
        """A record from its JSON fields; fields this version does not know are ignored."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


_current: ContextVar[RunRecord | None] = ContextVar("axiom_run", default=None)


def current_run_record() -> RunRecord | None:
    """The record of the job run in progress in this context, if any."""
    return _current.get()


def _rows(record: RunRecord) -> tuple[int | None, int | None]:
    """Rows read and written, from a job's row counts (jobs may also set them directly)."""
    counts = record.row_counts
    if record.command == "ingest":
        return counts.get("rows_in"), counts.get("new_rows")
    if record.command == "transform":
        return (max(counts.values()) if counts else 0), sum(counts.values())
    if record.command in ("materialize", "feast materialize"):
        return None, sum(counts.values())
    return None, None


class RunLog:
    """Reads and writes run records under one folder (``data/runs``)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def write(self, record: RunRecord) -> Path:
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / f"{record.run_id}.json"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(record.to_json())
        os.replace(tmp, path)
        return path

    def read(self, run_id: str) -> RunRecord:
        return RunRecord.from_dict(json.loads((self.root / f"{run_id}.json").read_text()))

    def list(self, command: str | None = None) -> list[RunRecord]:
        """All records, oldest first, optionally only those of one command."""
        if not self.root.exists():
            return []
        records = [RunRecord.from_dict(json.loads(p.read_text())) for p in self.root.glob("*.json")]
        records.sort(key=lambda r: (r.started_at, r.run_id))
        return [r for r in records if command is None or r.command == command]

    @contextmanager
    def track(
        self,
        command: str,
        *,
        run_id: str | None = None,
        parameters: dict[str, Any] | None = None,
    ) -> Iterator[RunRecord]:
        """Record a run: written as ``running`` at start, ``succeeded`` or ``failed`` at the end.

        The record also gets the run's cost: CPU, wall time, peak memory, rows and bytes read
        and written, and the growth of the data folder.
        """
        record = RunRecord(
            run_id=run_id or new_run_id(),
            command=command,
            started_at=datetime.now(UTC).isoformat(),
            parameters=parameters or {},
        )
        self.write(record)
        meter = UsageMeter(self.root.parent)
        token = _current.set(record)
        try:
            yield record
        except BaseException as exc:
            record.status = "failed"
            record.error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            raise
        else:
            record.status = "succeeded"
        finally:
            _current.reset(token)
            record.ended_at = datetime.now(UTC).isoformat()
            usage = meter.stop()
            record.cpu_seconds = usage.cpu_seconds
            record.wall_seconds = usage.wall_seconds
            record.peak_rss_mb = usage.peak_rss_mb
            record.bytes_read = usage.bytes_read
            record.bytes_written = usage.bytes_written
            record.storage_growth_bytes = usage.storage_growth_bytes
            rows_read, rows_written = _rows(record)
            record.rows_read = record.rows_read if record.rows_read is not None else rows_read
            if record.rows_written is None:
                record.rows_written = rows_written
            self.write(record)
