"""A Feast batch engine that pulls only the latest row per entity and writes Redis in bulk.

Select it in ``feature_store.yaml``::

    batch_engine:
      type: axiom_features.materialize.fast_engine.FastComputeEngine

It pulls only the latest row per entity: for local Parquet behind Feast's file store (which
reads a view's whole history with Dask) with :func:`~axiom_features.materialize.latest.pull_latest`
(DuckDB, two narrow passes); for any other offline store with the store's own
``pull_latest_from_table_or_query`` (the platform's DuckDB and PostgreSQL stores). On Redis
it replaces the protobuf-per-value writer by
:func:`~axiom_features.online.writer.write_rows`, which stores the same bytes. With Ray selected
in the ``compute:`` block and enough entities, the Redis writes run as Ray tasks
(:mod:`axiom_features.materialize.ray_writes`). Other online
stores (SQLite) get the same rows through Feast's own writer. Every view still gets the whylogs
profile of exactly the rows written, from the same Arrow table. Views it does not cover
(other sources, transformations, aggregations, offline writes, field mappings) go through
the profiling engine unchanged.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

import pyarrow as pa
from feast import FeatureView, FileSource
from feast.infra.common.materialization_job import MaterializationJobStatus, MaterializationTask
from feast.infra.compute_engines.local.job import LocalMaterializationJob
from feast.infra.offline_stores.dask import DaskOfflineStore
from feast.infra.online_stores.redis import RedisOnlineStore, _versioned_fv_name
from feast.infra.registry.base_registry import BaseRegistry
from feast.utils import _convert_arrow_to_proto

from axiom_features.materialize.engine import (
    ProfilingComputeEngine,
    ProfilingComputeEngineConfig,
    _empty_table,
)
from axiom_features.materialize.latest import pull_latest
from axiom_features.materialize.ray_writes import write_rows_on_ray
from axiom_features.online.writer import DEFAULT_BATCH_ROWS, ViewLayout, write_rows
from axiom_features.scaleout.settings import settings_from_block

ENGINE_TYPE = "axiom_features.materialize.fast_engine.FastComputeEngine"

logger = logging.getLogger(__name__)


class FastComputeEngineConfig(ProfilingComputeEngineConfig):
    """Configuration of the fast engine (the profiling engine's settings, plus these)."""

    type: Literal[ENGINE_TYPE] = ENGINE_TYPE  # type: ignore[assignment]
    """Engine type selector."""

    redis_batch_rows: int = DEFAULT_BATCH_ROWS
    """Entities per Redis pipeline when writing."""


class FastComputeEngine(ProfilingComputeEngine):
    """The profiling engine with a latest-per-entity DuckDB pull and a bulk Redis writer."""

    def __init__(self, *, redis_batch_rows: int = DEFAULT_BATCH_ROWS, **kwargs) -> None:
        super().__init__(**kwargs)
        self.redis_batch_rows = redis_batch_rows

    def _materialize_one(
        self, registry: BaseRegistry, task: MaterializationTask, **kwargs
    ) -> LocalMaterializationJob:
        view = task.feature_view
        if not self.covers(task):
            return super()._materialize_one(registry, task, **kwargs)
        job_id = f"{view.name}-{task.start_time}-{task.end_time}"
        try:
            if self._offline_table_missing(view):
                logger.warning("%s: no offline table yet; nothing to write", view.name)
                written = _empty_table(view)
            else:
                written = self.pull(task)
                self.write_online(view, written)
            self._profile(task, written)
        except Exception as exc:  # Feast reports engine failures through the job status
            return LocalMaterializationJob(
                job_id=job_id, status=MaterializationJobStatus.ERROR, error=exc
            )
        return LocalMaterializationJob(job_id=job_id, status=MaterializationJobStatus.SUCCEEDED)

    def covers(self, task: MaterializationTask) -> bool:
        """Whether this engine's fast path applies to ``task`` (else the profiling engine's)."""
        view = task.feature_view
        source = view.batch_source
        return (
            type(view) is FeatureView
            and source is not None
            and not source.field_mapping
            and (self._reads_parquet_itself(source) or not self._offline_pull_is_dask())
            and view.online
            and not getattr(view, "offline", False)
            and task.only_latest
            and not task.disable_event_timestamp
            and bool(view.join_keys)
        )

    def _offline_pull_is_dask(self) -> bool:
        """Whether the offline store's latest-row pull is Feast's file (Dask) one."""
        pull = getattr(type(self.offline_store), "pull_latest_from_table_or_query", None)
        return pull is DaskOfflineStore.pull_latest_from_table_or_query

    def _reads_parquet_itself(self, source) -> bool:  # noqa: ANN001 - a DataSource
        """Local Parquet behind Feast's file store: read with DuckDB here, not with Dask."""
        return (
            isinstance(source, FileSource)
            and "://" not in source.path
            and self._offline_pull_is_dask()
        )

    def _source_path(self, source: FileSource) -> Path:
        path = Path(source.path)
        return path if path.is_absolute() else Path(self.repo_config.repo_path or ".") / path

    def pull(self, task: MaterializationTask) -> pa.Table:
        """The latest row per entity in ``[start, end]``: join keys, features, timestamps.

        Local Parquet behind Feast's file store is read here with DuckDB; any other offline
        store is asked for its own ``pull_latest_from_table_or_query`` (the platform's DuckDB
        and PostgreSQL stores answer it without reading the whole history).
        """
        view = task.feature_view
        source = view.batch_source
        features = [f.name for f in view.features]
        created = source.created_timestamp_column or None
        if self._reads_parquet_itself(source):
            table = pull_latest(
                self._source_path(source),
                join_keys=view.join_keys,
                feature_columns=features,
                timestamp_field=source.timestamp_field,
                created_timestamp_column=created,
                start=task.start_time,
                end=task.end_time,
            )
        else:
            table = self.offline_store.pull_latest_from_table_or_query(
                config=self.repo_config,
                data_source=source,
                join_key_columns=view.join_keys,
                feature_name_columns=features,
                timestamp_field=source.timestamp_field,
                created_timestamp_column=created,
                start_date=task.start_time,
                end_date=task.end_time,
            ).to_arrow()
        return table.combine_chunks()

    def write_online(self, view: FeatureView, table: pa.Table, overwrite: bool = False) -> int:
        """Write ``table`` online; Redis in bulk, any other store through Feast's writer.

        ``overwrite``: also replace stored rows that are as new (a revised row of the same
        time); Feast's other stores always replace.
        """
        if table.num_rows == 0:
            return 0
        config = self.repo_config
        store = self.online_store
        if isinstance(store, RedisOnlineStore):
            store_config = config.online_store
            layout = ViewLayout(
                name=_versioned_fv_name(view, config),
                join_keys=[c.name for c in view.entity_columns],
                join_key_types=[c.dtype.to_value_type() for c in view.entity_columns],
                features=[(f.name, f.dtype.to_value_type()) for f in view.features],
                timestamp_column=view.batch_source.timestamp_field,
            )
            settings = settings_from_block(getattr(config, "compute", None) or {})
            if settings.uses_ray(table.num_rows):
                return write_rows_on_ray(
                    store,
                    store_config,
                    settings,
                    project=config.project,
                    view=layout,
                    table=table,
                    batch_rows=self.redis_batch_rows,
                )
            result = write_rows(
                store._get_client(store_config),
                project=config.project,
                view=layout,
                table=table,
                key_ttl_seconds=store_config.key_ttl_seconds,
                skip_dedup=store_config.skip_dedup or overwrite,
                batch_rows=self.redis_batch_rows,
            )
            return result.written
        join_key_types = {c.name: c.dtype.to_value_type() for c in view.entity_columns}
        batch_size = config.materialization_config.online_write_batch_size
        batches = table.to_batches(max_chunksize=batch_size) if batch_size else [table]
        for batch in batches:
            store.online_write_batch(
                config=config,
                table=view,
                data=_convert_arrow_to_proto(batch, view, join_key_types),
                progress=lambda _: None,
            )
        return table.num_rows
