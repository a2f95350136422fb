"""Run records: one JSON file per job run, the seed of lineage and the audit trail."""

from __future__ import annotations

import json
import os
import secrets
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from axiom_features import __version__


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

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True, default=str)


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
        return RunRecord(**json.loads((self.root / f"{run_id}.json").read_text()))

    def list(self, command: str | None = None) -> list[RunRecord]:
        """All records, oldest first, optionally only those of one command."""
        if not self.root.exists():
            return []
        records = [RunRecord(**json.loads(p.read_text())) for p in self.root.glob("*.json")]
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
        """Record a run: written as ``running`` at start, ``succeeded`` or ``failed`` at the end."""
        record = RunRecord(
            run_id=run_id or new_run_id(),
            command=command,
            started_at=datetime.now(UTC).isoformat(),
            parameters=parameters or {},
        )
        self.write(record)
        try:
            yield record
        except BaseException as exc:
            record.status = "failed"
            record.error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            raise
        else:
            record.status = "succeeded"
        finally:
            record.ended_at = datetime.now(UTC).isoformat()
            self.write(record)
