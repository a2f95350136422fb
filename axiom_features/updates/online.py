"""Corrected latest rows online: a recomputed row of the same time replaces the stored one.

Feast's writers (and the fast Redis writer, which keeps their rule) skip a row that is not
newer than the one held, so a corrected bar whose row is still a symbol's latest would stay
wrong online after a materialization. The daily update therefore writes the latest rows of
the recomputed range again through the fast engine with ``overwrite``.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from feast.infra.common.materialization_job import MaterializationTask

from axiom_features.feature_store import open_store
from axiom_features.materialize.fast_engine import FastComputeEngine
from axiom_features.pipeline.guards import guarded, view_locks


def rewrite_latest(
    root: Path, view: str, since: datetime, until: datetime, *, profile: str = "default"
) -> int:
    """Write each entity's latest offline row of ``view`` in ``[since, until]`` online,
    replacing a stored row of the same time; returns the rows written (0 when the store's
    engine is not the fast one: Feast's other writers replace rows of the same time)."""
    store = open_store(root, profile)
    engine = store._get_provider().batch_engine
    if not isinstance(engine, FastComputeEngine):
        return 0
    feature_view = store.get_feature_view(view)
    task = MaterializationTask(
        project=store.project, feature_view=feature_view, start_time=since, end_time=until
    )
    if not engine.covers(task):
        return 0
    with guarded(root, "update", view_locks([view])):
        return engine.write_online(feature_view, engine.pull(task), overwrite=True)
