"""The daily update as a job: locks, a run record, day profiles of the rewritten days, and
the online store brought up to the new rows (corrected latest rows replaced)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from axiom_features.ops.offline_profiles import profile_offline_days
from axiom_features.paths import RepoPaths
from axiom_features.pipeline.guards import view_job
from axiom_features.pipeline.jobs import materialize
from axiom_features.updates.changes import ALL_ROWS
from axiom_features.updates.daily import UpdateResult, update_offline
from axiom_features.updates.online import rewrite_latest
from monitoring.daily_profiles import day_keys
from transforms.catalogue import catalogue

COMMAND = "update"


def _rewritten_days(since: pd.Timestamp, until: datetime) -> frozenset[str]:
    """Days from ``since`` to ``until`` (none for a whole table: new days are profiled anyway
    and a changed version re-profiles every day)."""
    if since == ALL_ROWS:
        return frozenset()
    days = pd.date_range(since.normalize(), until, freq="D", tz="UTC")
    return frozenset(day_keys(pd.Series(days)))


def daily_update(
    root: Path,
    *,
    views: Sequence[str] | None = None,
    symbols: Sequence[str] | None = None,
    profile: str | None = "default",
    created: datetime | None = None,
    force: bool = False,
    wait: float = 0.0,
    workers: int = 2,
) -> UpdateResult:
    """Bring the offline tables up to the lake (only rows from each change on), profile the
    days rewritten, then materialize the new rows (``profile`` None: offline only); a view
    whose stored latest row was recomputed is materialized again from that row, and those
    latest rows replace the online rows of the same time (a corrected bar). Symbols
    are spread over ``workers`` processes."""
    repo = RepoPaths(root)
    created = created or datetime.now(UTC)
    specs = catalogue().select(views)
    params = {
        "views": list(views) if views else None,
        "symbols": list(symbols) if symbols else None,
        "created": created.isoformat(),
    }
    names = [v.name for v in specs]
    with view_job(root, COMMAND, names, params, force=force, wait=wait) as record:
        record.inputs = ["lake:bars", "lake:fundamentals", "lake:news"]
        result = update_offline(
            repo, created=created, views=views, symbols=symbols, workers=workers
        )
        result.run_id = record.run_id
        record.outputs = [f"offline:{v}" for v in result.rows_per_view]
        record.row_counts = dict(result.rows_per_view)
        by_refresh: dict[frozenset[str], dict[str, str]] = {}
        for view, since in result.since.items():
            days = _rewritten_days(since, created)
            by_refresh.setdefault(days, {})[view] = catalogue().view(view).version
        for refresh, versions in by_refresh.items():
            profile_offline_days(repo, versions, run_id=record.run_id, refresh=refresh)
    if profile is not None and result.rows_per_view:
        written = list(result.rows_per_view)
        materialize(root, None, created, views=written, profile=profile)
        for view, since in result.changed_latest.items():
            materialize(root, since.to_pydatetime(), created, views=[view], profile=profile)
            rewrite_latest(root, view, since.to_pydatetime(), created, profile=profile)
    return result
