"""Every job run records its lineage and an audit entry: a run log that does both.

:func:`recorded_log` is what the jobs in :mod:`axiom_features.pipeline.jobs` track their
runs with: an OpenLineage START when the run begins, COMPLETE or FAIL when it ends, and one
audit entry for the finished run (actor, command, inputs and outputs with content hashes).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from axiom_features.audit.entries import Action, named
from axiom_features.lakes.provenance import read_manifest
from axiom_features.lineage.revision import write_run_revision
from axiom_features.lineage.settings import LineageConfig, active_profile, lineage_config
from axiom_features.paths import RepoPaths
from axiom_features.pipeline.runs import RunLog, RunRecord

if TYPE_CHECKING:
    from axiom_features.lineage.emitter import Transport


class RecordedRunLog(RunLog):
    """A :class:`RunLog` whose runs also emit OpenLineage events and append to the audit log."""

    def __init__(self, root: Path, config: LineageConfig, profile: str) -> None:
        super().__init__(RepoPaths(root).runs)
        self.repo_root = root
        self.config = config
        self.profile = profile
        self._transport: Transport | None = None

    def _emit(self, state: str, record: RunRecord) -> None:
        from axiom_features.lineage.emitter import emit, transport_for
        from axiom_features.lineage.events import run_event

        if self._transport is None:
            self._transport = transport_for(self.config, self.repo_root)
        event = run_event(
            state, record, self.repo_root, namespace=self.config.namespace, profile=self.profile
        )
        emit(self._transport, event)

    def _audit(self, record: RunRecord) -> None:
        from axiom_features.audit.log import AuditLog

        log = AuditLog(self.repo_root, self.config.audit)
        try:
            log.record(audit_action(record, self.repo_root))
        finally:
            log.close()

    @contextmanager
    def track(self, command: str, **options: Any) -> Iterator[RunRecord]:
        record: RunRecord | None = None
        try:
            with super().track(command, **options) as record:
                write_run_revision(RepoPaths(self.repo_root), record.run_id)
                self._emit("START", record)
                yield record
        except BaseException:
            if record is not None:
                self._finish("FAIL", record)
            raise
        self._finish("COMPLETE", record)

    def _finish(self, state: str, record: RunRecord) -> None:
        self._emit(state, record)
        self._audit(record)


def audit_action(record: RunRecord, root: Path) -> Action:
    """The audit entry of a finished run; files get their sha256 (an import's from its
    manifest, computed once while reading)."""
    known = {
        str(d.get("path")): d.get("sha256")
        for d in read_manifest(RepoPaths(root), record.run_id).values()
    }

    def item(name: str) -> dict[str, Any]:
        resolved = (
            str(Path(name).resolve()) if not name.startswith("<") and ":" not in name[:12] else name
        )
        if resolved in known:
            return {"name": name, "sha256": known[resolved]}
        path = Path(name)
        return named(name, path if ":" not in name[:12] else None)

    summary = record.to_json().encode()
    return Action(
        command=record.command,
        inputs=[item(name) for name in record.inputs],
        outputs=[item(name) for name in record.outputs],
        details={
            "run_id": record.run_id,
            "status": record.status,
            "error": record.error,
            "parameters": record.parameters,
            "row_counts": record.row_counts,
            "code_version": record.code_version,
            "run_record_sha256": hashlib.sha256(summary).hexdigest(),
        },
    )


def recorded_log(root: Path) -> RunLog:
    """The run log jobs use: lineage and audit on, unless ``AXIOM_LINEAGE=off``."""
    config = lineage_config()
    if not config.enabled:
        return RunLog(RepoPaths(root).runs)
    return RecordedRunLog(root, config, active_profile())
