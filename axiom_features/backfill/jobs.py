"""``axiom backfill`` as a job: locks, a run record holding the inputs' content hashes and the
range's digests, and day profiles of the rewritten days."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from axiom_features.backfill.digests import input_hashes
from axiom_features.backfill.ranges import BackfillResult, backfill_range
from axiom_features.ops.offline_profiles import profile_offline_days
from axiom_features.paths import RepoPaths
from axiom_features.pipeline.guards import view_job
from monitoring.daily_profiles import day_keys
from transforms.catalogue import catalogue

COMMAND = "backfill"


def backfill(
    root: Path,
    start: datetime,
    end: datetime,
    *,
    views: Sequence[str] | None = None,
    symbols: Sequence[str] | None = None,
    created: datetime | None = None,
    profile_days: bool = True,
    workers: int = 2,
    force: bool = False,
    wait: float = 0.0,
) -> BackfillResult:
    """Recompute ``[start, end]`` of ``views`` for ``symbols`` (default: all) from the lake,
    in ``workers`` processes (the bytes written do not depend on it).

    The run record keeps what a replay needs: the parameters, ``created`` and the sha256 of
    every lake file read (``input_hashes``), and the values digest of each view and symbol's
    range (``output_digests``)."""
    repo = RepoPaths(root)
    created = created or datetime.now(UTC)
    specs = catalogue().select(views)
    params = {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "views": list(views) if views else None,
        "symbols": list(symbols) if symbols else None,
        "created": created.isoformat(),
    }
    names = [v.name for v in specs]
    with view_job(root, COMMAND, names, params, force=force, wait=wait) as record:
        record.parameters["input_hashes"] = input_hashes(repo)
        record.inputs = ["lake:bars"]
        result = backfill_range(
            repo, start, end, created=created, views=views, symbols=symbols, workers=workers
        )
        result.run_id = record.run_id
        record.parameters["output_digests"] = result.digests
        record.outputs = [f"offline:{v}" for v in result.views]
        record.row_counts = dict(result.rows_per_view)
        if profile_days:
            days = pd.date_range(start.date(), end.date(), freq="D", tz="UTC")
            profile_offline_days(
                repo,
                {v.name: v.version for v in specs},
                run_id=record.run_id,
                refresh=frozenset(day_keys(pd.Series(days))),
            )
    return result
