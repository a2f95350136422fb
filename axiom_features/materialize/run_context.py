"""The run a materialization belongs to, shared between the CLI and the Feast engine."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field


@dataclass
class MaterializedView:
    """What the engine wrote online for one feature view."""

    feature_view: str
    version: str | None
    start: str
    end: str
    rows: int
    profile_path: str | None


@dataclass
class MaterializationRun:
    """Collects, per feature view, what one materialization run wrote."""

    run_id: str
    views: list[MaterializedView] = field(default_factory=list)


_current: ContextVar[MaterializationRun | None] = ContextVar("axiom_materialization", default=None)


def current_run() -> MaterializationRun | None:
    """The run in progress in this context, if an ``axiom`` command started one."""
    return _current.get()


@contextmanager
def materialization_run(run_id: str) -> Iterator[MaterializationRun]:
    """Make ``run_id`` the run that engine-written profiles are filed under."""
    run = MaterializationRun(run_id=run_id)
    token = _current.set(run)
    try:
        yield run
    finally:
        _current.reset(token)
