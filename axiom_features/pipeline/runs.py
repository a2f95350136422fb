"""Run records: one JSON file per job run, the seed of lineage and the audit trail.

A running job also keeps a heartbeat file (``<run_id>.heartbeat``, touched every
:data:`HEARTBEAT_SECONDS`). A record still ``running`` whose process is gone (same host: the
PID is dead or reused) or whose heartbeat is older than :data:`HEARTBEAT_TIMEOUT` is marked
``interrupted`` when the log is read.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from axiom_features import __version__
from axiom_features.ops.usage import UsageMeter
from axiom_features.resilience.errors import describe
from axiom_features.resilience.liveness import host_name, pid_alive, process_start

HEARTBEAT_SECONDS = 10.0
"""How often a running job touches its heartbeat file."""
HEARTBEAT_TIMEOUT = timedelta(minutes=5)
"""A running record whose heartbeat is older than this is interrupted (any host)."""


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
    traceback: str | None = None
    """The full traceback of a failed run (the CLI prints one line)."""
    pid: int | None = None
    host: str | None = None
    process_start: str | None = None
    """Identity of the process start, so a reused PID is not mistaken for the job."""
    warnings: list[str] = field(default_factory=list)
    """What the run noticed but did not fail on (e.g. a view's missing offline file)."""

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
        record = RunRecord.from_dict(json.loads((self.root / f"{run_id}.json").read_text()))
        return self._settle(record)

    def list(self, command: str | None = None) -> list[RunRecord]:
        """All records, oldest first, optionally only those of one command; a dead
        ``running`` record is marked ``interrupted`` on the way."""
        if not self.root.exists():
            return []
        records = []
        for path in self.root.glob("*.json"):
            try:
                records.append(RunRecord.from_dict(json.loads(path.read_text())))
            except (OSError, ValueError):
                continue  # removed or being replaced while listed
        records.sort(key=lambda r: (r.started_at, r.run_id))
        return [self._settle(r) for r in records if command is None or r.command == command]

    def heartbeat_path(self, run_id: str) -> Path:
        return self.root / f"{run_id}.heartbeat"

    def death_of(self, record: RunRecord, now: datetime | None = None) -> str | None:
        """Why a ``running`` record's job is dead, or None while it lives."""
        if record.status != "running":
            return None
        now = now or datetime.now(UTC)
        if record.pid is not None and record.host == host_name():
            if not pid_alive(record.pid, record.process_start):
                return f"process {record.pid} is gone"
        beat = self.heartbeat_path(record.run_id)
        try:
            last = datetime.fromtimestamp(beat.stat().st_mtime, UTC)
        except OSError:
            last = datetime.fromisoformat(record.started_at)
        if now - last > HEARTBEAT_TIMEOUT:
            return f"no heartbeat since {last:%Y-%m-%d %H:%M:%S} UTC"
        return None

    def _settle(self, record: RunRecord) -> RunRecord:
        reason = self.death_of(record)
        if reason is None:
            return record
        record.status = "interrupted"
        record.error = f"interrupted: {reason}"
        record.ended_at = record.ended_at or datetime.now(UTC).isoformat()
        self.write(record)
        self.heartbeat_path(record.run_id).unlink(missing_ok=True)
        return record

    @contextmanager
    def _heartbeat(self, run_id: str) -> Iterator[None]:
        path = self.heartbeat_path(run_id)
        path.touch()
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(HEARTBEAT_SECONDS):
                path.touch()

        thread = threading.Thread(target=beat, name=f"heartbeat-{run_id}", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()
            path.unlink(missing_ok=True)

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
            pid=os.getpid(),
            host=host_name(),
            process_start=process_start(os.getpid()),
        )
        self.write(record)
        meter = UsageMeter(self.root.parent)
        token = _current.set(record)
        beating = self._heartbeat(record.run_id)
        beating.__enter__()
        try:
            yield record
        except BaseException as exc:
            record.status = "failed"
            record.error = describe(exc)
            record.traceback = "".join(traceback.format_exception(exc))
            if getattr(exc, "axiom_run_id", None) is None:
                try:
                    exc.axiom_run_id = record.run_id  # type: ignore[attr-defined]
                except AttributeError:
                    pass
            raise
        else:
            record.status = "succeeded"
        finally:
            beating.__exit__(None, None, None)
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


_LAKE_WRITERS = ("ingest", "ingest-news", "ingest-fundamentals", "quality-release")

UPSTREAM: dict[str, tuple[str, ...]] = {
    "transform": _LAKE_WRITERS,
    "update": _LAKE_WRITERS,
    "backfill": _LAKE_WRITERS,
    "offline load": ("transform",),
    "materialize": ("transform", "update", "backfill", "offline load"),
}
"""The jobs whose output each job builds on."""


class UpstreamInterrupted(RuntimeError):
    """A job would build on the output of an upstream run that was interrupted."""


def interrupted_upstream(log: RunLog, command: str) -> list[RunRecord]:
    """The latest run of each upstream job of ``command``, where that run was interrupted
    (a later successful run of the same job resumes it)."""
    latest: dict[str, RunRecord] = {}
    for record in log.list():
        if record.command in UPSTREAM.get(command, ()) and record.status != "running":
            latest[record.command] = record
    return [r for r in latest.values() if r.status == "interrupted"]


def require_upstream(log: RunLog, command: str, *, force: bool = False) -> list[RunRecord]:
    """Refuse to run ``command`` over an interrupted upstream run unless ``force``; returns
    the interrupted runs it was forced over."""
    broken = interrupted_upstream(log, command)
    if broken and not force:
        first = broken[0]
        raise UpstreamInterrupted(
            f"{command} refused in {log.root.parent.parent}: the last {first.command} run "
            f"{first.run_id} was {first.error or 'interrupted'}; rerun {first.command} to "
            "resume it, or pass --force"
        )
    return broken
