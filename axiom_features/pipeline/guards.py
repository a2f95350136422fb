"""What a job checks before it writes: its upstream runs were not interrupted, and no other
job holds the views (or the registry) it writes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from axiom_features.paths import RepoPaths
from axiom_features.pipeline.runs import RunLog, RunRecord, require_upstream
from axiom_features.resilience.locks import job_locks

REGISTRY_LOCK = "registry"


def locks_dir(root: Path) -> Path:
    return RepoPaths(root).data / "locks"


def view_locks(views: Iterable[str]) -> list[str]:
    return [f"view-{v}" for v in views]


@contextmanager
def guarded(
    root: Path,
    command: str,
    locks: Iterable[str],
    *,
    force: bool = False,
    wait: float = 0.0,
) -> Iterator[list[RunRecord]]:
    """Hold ``locks`` for ``command`` (waiting up to ``wait`` seconds, then refusing) after
    checking its upstream runs; yields the interrupted upstream runs ``force`` went past."""
    forced = require_upstream(RunLog(RepoPaths(root).runs), command, force=force)
    with job_locks(locks_dir(root), locks, holder=command, wait=wait):
        yield forced


@contextmanager
def view_job(
    root: Path,
    command: str,
    views: Iterable[str],
    parameters: dict,
    *,
    force: bool = False,
    wait: float = 0.0,
) -> Iterator[RunRecord]:
    """A run record of ``command`` (with lineage) written while the views' locks are held."""
    from axiom_features.lineage.hooks import recorded_log

    with (
        guarded(root, command, view_locks(views), force=force, wait=wait),
        recorded_log(root).track(command, parameters=parameters) as record,
    ):
        yield record
