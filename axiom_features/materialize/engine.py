"""A Feast batch engine that profiles exactly the rows it writes online.

Select it in ``feature_store.yaml``::

    batch_engine:
      type: axiom_features.materialize.engine.ProfilingComputeEngine

Then every materialization, whether from ``axiom materialize`` or a plain
``feast materialize`` / ``feast materialize-incremental``, stores a whylogs profile per
feature view under ``data/profiles/<run_id>/<view>.bin`` with the time range and row count.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import pyarrow as pa
import pyarrow.compute as pc
from feast import FeatureView, FileSource
from feast.infra.common.materialization_job import MaterializationJobStatus, MaterializationTask
from feast.infra.compute_engines.local.compute import LocalComputeEngine
from feast.infra.compute_engines.local.feature_builder import LocalFeatureBuilder
from feast.infra.compute_engines.local.job import LocalMaterializationJob
from feast.infra.registry.base_registry import BaseRegistry
from feast.repo_config import FeastConfigBaseModel

from axiom_features.materialize.run_context import MaterializedView, current_run
from axiom_features.offline.sources import offline_storage, source_exists
from axiom_features.pipeline.runs import RunLog, new_run_id
from monitoring.profile_store import ProfileStore
from monitoring.profiling import profile_frame

TIMESTAMP_COLUMNS = ("event_timestamp", "created_timestamp")

logger = logging.getLogger(__name__)


def _empty_table(view: FeatureView) -> pa.Table:
    """The columns a view writes online, with no rows."""
    fields = [pa.field(c.name, pa.string()) for c in view.entity_columns]
    fields += [pa.field(f.name, pa.float64()) for f in view.features]
    return pa.schema(fields).empty_table()


class ProfilingComputeEngineConfig(FeastConfigBaseModel):
    """Configuration of the profiling engine."""

    type: Literal["axiom_features.materialize.engine.ProfilingComputeEngine"] = (
        "axiom_features.materialize.engine.ProfilingComputeEngine"
    )
    """Engine type selector."""

    profiles_path: str = "data/profiles"
    """Where profiles are stored, relative to the repo root."""

    runs_path: str = "data/runs"
    """Where run records of plain ``feast materialize`` calls are stored."""

    profiling: bool = True
    """Profile the rows written for each view; false only to measure what profiling costs."""

    drift: bool = True
    """After the run, check the drift of the views written and alert root causes (with
    profiling on, and unless ``monitoring.yaml`` sets ``drift_after_materialize: false``)."""


class ProfilingComputeEngine(LocalComputeEngine):
    """Feast's local engine, plus a whylogs profile of the rows written for each view."""

    def __init__(
        self,
        *,
        profiles_path: str = "data/profiles",
        runs_path: str = "data/runs",
        profiling: bool = True,
        drift: bool = True,
        **kwargs,
    ) -> None:
        kwargs.pop("type", None)
        super().__init__(**kwargs)
        self.profiling = profiling
        self.drift = drift
        root = Path(self.repo_config.repo_path or ".")
        self.root = root
        self.profile_store = ProfileStore(root / profiles_path)
        self.run_log = RunLog(root / runs_path)
        self._own_run_id: str | None = None

    def materialize(self, registry: BaseRegistry, tasks, **kwargs):  # noqa: ANN001, ANN201
        """Feast's materialization, then the drift check of the views written."""
        jobs = super().materialize(registry, tasks, **kwargs)
        if self.profiling and self.drift:
            from axiom_features.ops.monitor import drift_after_materialize

            names = [t.feature_view.name for t in (tasks if isinstance(tasks, list) else [tasks])]
            run = current_run()
            try:
                drift_after_materialize(self.root, names, run.run_id if run else None)
            except Exception:  # the rows are written; a failed check must not undo that
                logger.exception("drift check after materialization failed")
        return jobs

    def _materialize_one(
        self, registry: BaseRegistry, task: MaterializationTask, **kwargs
    ) -> LocalMaterializationJob:
        view = task.feature_view
        job_id = f"{view.name}-{task.start_time}-{task.end_time}"
        try:
            if self._offline_table_missing(view):
                logger.warning(
                    "%s: no offline table yet (%s); nothing to write",
                    view.name,
                    view.batch_source.path,
                )
                written = _empty_table(view)
            else:
                context = self.get_execution_context(registry, task)
                builder = LocalFeatureBuilder(registry, task, backend=self._get_backend(context))
                written = builder.build().execute(context).data
            self._profile(task, written)
        except Exception as exc:  # Feast reports engine failures through the job status
            return LocalMaterializationJob(
                job_id=job_id, status=MaterializationJobStatus.ERROR, error=exc
            )
        return LocalMaterializationJob(job_id=job_id, status=MaterializationJobStatus.SUCCEEDED)

    def _offline_table_missing(self, view: FeatureView) -> bool:
        """A file source whose folder does not exist yet (here, or on the repo's storage
        when that is not local): no transform job has run."""
        source = view.batch_source
        if not isinstance(source, FileSource) or "://" in source.path:
            return False
        path = Path(source.path)
        root = Path(self.repo_config.repo_path or ".")
        path = path if path.is_absolute() else root / path
        return not source_exists(offline_storage(self.repo_config), path)

    def _profile(self, task: MaterializationTask, written: pa.Table) -> None:
        view = task.feature_view
        columns = [c for c in written.column_names if c not in TIMESTAMP_COLUMNS]
        run = current_run()
        run_id = run.run_id if run else self._standalone_run_id()
        version = (view.tags or {}).get("version")
        profile_path = None
        if self.profiling:
            record = self.profile_store.save(
                profile_frame(written.select(columns)),
                run_id=run_id,
                feature_view=view.name,
                start=min(task.start_time, task.end_time),  # an incremental start past the end
                end=task.end_time,
                row_count=written.num_rows,
                feature_view_version=version,
            )
            profile_path = str(record.path)
        self._record_freshness(view.name, written)
        entry = MaterializedView(
            feature_view=view.name,
            version=version,
            start=task.start_time.isoformat(),
            end=task.end_time.isoformat(),
            rows=written.num_rows,
            profile_path=profile_path,
        )
        if run:
            run.views.append(entry)
        else:
            self._record_standalone(entry)

    def _record_freshness(self, view: str, written: pa.Table) -> None:
        """The newest event time written, for the view's SLA history."""
        if written.num_rows == 0 or "event_timestamp" not in written.column_names:
            return
        from axiom_features.ops.health import record_freshness

        newest = pc.max(written.column("event_timestamp")).as_py()
        if newest is not None:
            newest = newest.replace(tzinfo=UTC) if newest.tzinfo is None else newest
            record_freshness(self.root, view, newest.astimezone(UTC), datetime.now(UTC))

    def _standalone_run_id(self) -> str:
        if self._own_run_id is None:
            self._own_run_id = new_run_id()
        return self._own_run_id

    def _record_standalone(self, entry: MaterializedView) -> None:
        """A plain ``feast materialize`` gets a run record too, grown one view at a time."""
        assert self._own_run_id is not None
        try:
            record = self.run_log.read(self._own_run_id)
        except FileNotFoundError:
            with self.run_log.track("feast materialize", run_id=self._own_run_id) as record:
                pass
        record.outputs.append(f"online:{entry.feature_view}")
        record.row_counts[entry.feature_view] = entry.rows
        record.ended_at = datetime.now(UTC).isoformat()
        self.run_log.write(record)
