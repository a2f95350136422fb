"""Feast's file offline store with fast point-in-time retrieval and latest-row pulls.

``feature_store.yaml``::

    offline_store:
      type: axiom_features.offline.duckdb_store.AxiomDuckDBOfflineStore
      memory_limit: 4GB        # optional; DuckDB spills to temp_directory beyond it

Users keep calling ``FeatureStore.get_historical_features``; the join runs as described in
:mod:`axiom_features.offline.point_in_time`, on a Ray cluster when the ``compute:`` block
selects Ray and the entity frame is large (:mod:`axiom_features.offline.partitioned`).
Everything else (``pull_all_from_table_or_query``,
saved datasets, logging) is stock Feast's file store, and ``offline_write_batch`` also accepts
the platform's folder-per-view, file-per-entity layout. A repo whose ``storage:`` is not a
local folder (:mod:`axiom_features.storage`) has its ``data/offline`` sources read through
that storage's file system (:mod:`axiom_features.offline.sources`). Requests the fast path
does not cover (no entity frame, a SQL entity query, remote source paths) are answered by
stock Feast.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import pyarrow as pa
import pyarrow.fs as pafs
from feast.feature_view import FeatureView
from feast.infra.offline_stores.dask import (
    DaskOfflineStore,
    DaskOfflineStoreConfig,
    DaskRetrievalJob,
)
from feast.infra.offline_stores.file_source import FileSource
from feast.infra.offline_stores.offline_store import RetrievalJob, RetrievalMetadata
from feast.infra.offline_stores.offline_utils import DEFAULT_ENTITY_DF_EVENT_TIMESTAMP_COL
from feast.infra.registry.base_registry import BaseRegistry
from feast.on_demand_feature_view import OnDemandFeatureView
from feast.repo_config import RepoConfig
from feast.utils import (
    _get_requested_feature_views_to_features_dict,
    _get_requested_on_demand_feature_views,
)

from axiom_features.offline import point_in_time as pit
from axiom_features.offline.joined import JoinedFrame, joined_frame
from axiom_features.offline.latest import latest_rows
from axiom_features.offline.partitioned import partition_key, ray_joined_frame
from axiom_features.offline.sources import offline_storage, source_files, source_filesystem
from axiom_features.offline.writes import write_batch_by_entity
from axiom_features.scaleout.settings import settings_from_block

STORE_TYPE = "axiom_features.offline.duckdb_store.AxiomDuckDBOfflineStore"


class AxiomDuckDBOfflineStoreConfig(DaskOfflineStoreConfig):
    """Offline store over Parquet ``FileSource`` tables, joined with DuckDB."""

    type: Literal[STORE_TYPE] = STORE_TYPE  # type: ignore[assignment]
    """Offline store type selector."""

    memory_limit: str | None = "4GB"
    """DuckDB's memory limit for matching; beyond it DuckDB spills to ``temp_directory``."""

    threads: int | None = None
    """Threads for DuckDB and for reading Parquet; default: DuckDB's (the machine's cores)."""

    temp_directory: str | None = None
    """Where DuckDB's spill folders go (one per retrieval, removed after it); default: the
    system temp directory."""


def _local_file_source(view: FeatureView) -> bool:
    source = view.batch_source
    return isinstance(source, FileSource) and "://" not in source.path


def _source_path(config: RepoConfig, source: FileSource) -> Path:
    path = Path(source.path)
    if not path.is_absolute() and config.repo_path is not None:
        path = Path(config.repo_path) / path
    return path


def entity_timestamp_column(entity_df: pd.DataFrame) -> str:
    """``event_timestamp``, else the frame's only datetime column (as stock Feast)."""
    if DEFAULT_ENTITY_DF_EVENT_TIMESTAMP_COL in entity_df.columns:
        return DEFAULT_ENTITY_DF_EVENT_TIMESTAMP_COL
    stamps = entity_df.select_dtypes(include=["datetime", "datetimetz"]).columns
    if len(stamps) == 1:
        return stamps[0]
    raise ValueError(
        f"entity_df needs a column named {DEFAULT_ENTITY_DF_EVENT_TIMESTAMP_COL} "
        "with the time of each row"
    )


def view_requests(
    config: RepoConfig,
    feature_views: list[FeatureView],
    feature_refs: list[str],
    registry: BaseRegistry,
    full_feature_names: bool,
    files_of: Callable[[FeatureView], list[str]],
    filesystem_of: Callable[[FeatureView], pafs.FileSystem | None] | None = None,
) -> list[pit.ViewRequest]:
    """One :class:`~axiom_features.offline.point_in_time.ViewRequest` per requested view;
    ``filesystem_of`` names the file system of a view's files (default: local paths)."""
    by_view, _ = _get_requested_feature_views_to_features_dict(
        feature_refs,
        feature_views,
        _get_requested_on_demand_feature_views(feature_refs, config.project, registry),
    )
    requests = []
    for view, features in by_view.items():
        source = view.batch_source
        reverse = {v: k for k, v in (source.field_mapping or {}).items()}
        names = [e.name for e in view.entity_columns]
        prefix = view.projection.name_to_use()
        ttl = view.ttl.total_seconds() if view.ttl else 0
        requests.append(
            pit.ViewRequest(
                name=view.name,
                files=files_of(view),
                entity_keys=[view.projection.join_key_map.get(n, n) for n in names],
                source_keys=[reverse.get(n, n) for n in names],
                timestamp_field=source.timestamp_field,
                created_timestamp_column=source.created_timestamp_column or None,
                ttl_us=int(ttl * 1_000_000) if ttl else None,
                source_columns=[reverse.get(f, f) for f in features],
                output_names=[f"{prefix}__{f}" if full_feature_names else f for f in features],
                filesystem=filesystem_of(view) if filesystem_of else None,
            )
        )
    return requests


class AxiomRetrievalJob(DaskRetrievalJob):
    """A lazy point-in-time retrieval; ``to_df`` builds pandas straight from the joined
    values (no Arrow round trip) unless on-demand views or validation need the Arrow path."""

    def __init__(
        self,
        compute: Callable[[], JoinedFrame],
        *,
        full_feature_names: bool,
        repo_path: str,
        on_demand_feature_views: list[OnDemandFeatureView] | None = None,
        metadata: RetrievalMetadata | None = None,
    ):
        super().__init__(
            evaluation_function=compute,
            full_feature_names=full_feature_names,
            repo_path=repo_path,
            on_demand_feature_views=on_demand_feature_views,
            metadata=metadata,
        )
        self._compute = compute

    @classmethod
    def for_request(
        cls,
        compute: Callable[[], JoinedFrame],
        *,
        entity_df: pd.DataFrame,
        timestamp_column: str,
        feature_refs: list[str],
        project: str,
        registry: BaseRegistry,
        full_feature_names: bool,
        repo_path: str,
    ) -> AxiomRetrievalJob:
        """The job answering one ``get_historical_features`` request, with Feast's metadata."""
        stamps = pd.to_datetime(entity_df[timestamp_column], utc=True).dt.floor("us")
        return cls(
            compute,
            full_feature_names=full_feature_names,
            repo_path=repo_path,
            on_demand_feature_views=OnDemandFeatureView.get_requested_odfvs(
                feature_refs, project, registry
            ),
            metadata=RetrievalMetadata(
                features=feature_refs,
                keys=[c for c in entity_df.columns if c != timestamp_column],
                min_event_timestamp=stamps.min().to_pydatetime() if len(stamps) else None,
                max_event_timestamp=stamps.max().to_pydatetime() if len(stamps) else None,
            ),
        )

    def _to_df_internal(self, timeout: int | None = None) -> pd.DataFrame:
        return self._compute().to_pandas()

    def _to_arrow_internal(self, timeout: int | None = None) -> pa.Table:
        return self._compute().to_arrow()

    def to_df(self, validation_reference=None, timeout: int | None = None) -> pd.DataFrame:
        if validation_reference is None and not self.on_demand_feature_views:
            return self._compute().to_pandas()
        return super().to_df(validation_reference=validation_reference, timeout=timeout)


class TableRetrievalJob(DaskRetrievalJob):
    """A retrieval whose answer is an Arrow table computed on demand."""

    def __init__(self, compute: Callable[[], pa.Table], repo_path: str):
        super().__init__(evaluation_function=compute, full_feature_names=False, repo_path=repo_path)
        self._compute = compute

    def _to_df_internal(self, timeout: int | None = None) -> pd.DataFrame:
        return self._compute().to_pandas()

    def _to_arrow_internal(self, timeout: int | None = None) -> pa.Table:
        return self._compute()


def duckdb_connection(config: RepoConfig):
    store = config.offline_store
    temp = store.temp_directory or tempfile.mkdtemp(prefix="axiom-duckdb-")
    return pit.connect(memory_limit=store.memory_limit, threads=store.threads, temp_directory=temp)


class AxiomDuckDBOfflineStore(DaskOfflineStore):
    """Stock Feast file store plus DuckDB point-in-time joins and latest-row pulls."""

    supports_filter_by_created_timestamp = True

    @staticmethod
    def get_historical_features(
        config: RepoConfig,
        feature_views: list[FeatureView],
        feature_refs: list[str],
        entity_df: pd.DataFrame | str | None,
        registry: BaseRegistry,
        project: str,
        full_feature_names: bool = False,
        filter_by_created_timestamp: bool = False,
        **kwargs: Any,
    ) -> RetrievalJob:
        if not isinstance(entity_df, pd.DataFrame) or not all(
            _local_file_source(v) for v in feature_views
        ):
            return DaskOfflineStore.get_historical_features(
                config,
                feature_views,
                feature_refs,
                entity_df,
                registry,
                project,
                full_feature_names,
                filter_by_created_timestamp=filter_by_created_timestamp,
                **kwargs,
            )
        timestamp_column = entity_timestamp_column(entity_df)
        storage = offline_storage(config)
        requests = view_requests(
            config,
            feature_views,
            feature_refs,
            registry,
            full_feature_names,
            lambda view: source_files(storage, _source_path(config, view.batch_source)),
            lambda view: source_filesystem(storage, _source_path(config, view.batch_source)),
        )
        missing = {k for r in requests for k in r.entity_keys} - set(entity_df.columns)
        if missing:
            raise ValueError(f"entity_df lacks join key column(s): {', '.join(sorted(missing))}")

        def compute() -> JoinedFrame:
            settings = settings_from_block(getattr(config, "compute", None) or {})
            if (
                settings.engine == "ray"
                and len(entity_df) >= settings.min_entity_rows
                and partition_key(requests) is not None
            ):
                return ray_joined_frame(
                    entity_df,
                    timestamp_column,
                    requests,
                    settings,
                    known_by_entity_time=filter_by_created_timestamp,
                    memory_limit=config.offline_store.memory_limit,
                )
            with duckdb_connection(config) as con:
                return joined_frame(
                    con,
                    entity_df,
                    timestamp_column,
                    requests,
                    known_by_entity_time=filter_by_created_timestamp,
                    threads=config.offline_store.threads,
                )

        return AxiomRetrievalJob.for_request(
            compute,
            entity_df=entity_df,
            timestamp_column=timestamp_column,
            feature_refs=feature_refs,
            project=project,
            registry=registry,
            full_feature_names=full_feature_names,
            repo_path=str(config.repo_path),
        )

    @staticmethod
    def pull_latest_from_table_or_query(
        config: RepoConfig,
        data_source: FileSource,
        join_key_columns: list[str],
        feature_name_columns: list[str],
        timestamp_field: str,
        created_timestamp_column: str | None,
        start_date: datetime | None = None,
        end_date: datetime | None = None,
    ) -> RetrievalJob:
        if not join_key_columns or not feature_name_columns or "://" in data_source.path:
            return DaskOfflineStore.pull_latest_from_table_or_query(
                config,
                data_source,
                join_key_columns,
                feature_name_columns,
                timestamp_field,
                created_timestamp_column,
                start_date,
                end_date,
            )

        path = _source_path(config, data_source)
        storage = offline_storage(config)

        def compute() -> pa.Table:
            with duckdb_connection(config) as con:
                return latest_rows(
                    con,
                    source_files(storage, path),
                    join_key_columns,
                    feature_name_columns,
                    timestamp_field,
                    created_timestamp_column,
                    start_date,
                    end_date,
                    threads=config.offline_store.threads,
                    filesystem=source_filesystem(storage, path),
                )

        return TableRetrievalJob(compute, repo_path=str(config.repo_path))

    @staticmethod
    def offline_write_batch(
        config: RepoConfig,
        feature_view: FeatureView,
        table: pa.Table,
        progress: Callable[[int], Any] | None,
    ) -> None:
        source = feature_view.batch_source
        path = _source_path(config, source) if isinstance(source, FileSource) else None
        if path is None or not path.is_dir() or len(feature_view.entity_columns) != 1:
            DaskOfflineStore.offline_write_batch(config, feature_view, table, progress)
            return
        write_batch_by_entity(
            path,
            feature_view.entity_columns[0].name,
            source.timestamp_field,
            source.created_timestamp_column,
            table,
        )
        if progress:
            progress(table.num_rows)
