"""The point-in-time join on a Ray cluster: entity rows partitioned by their entity key,
each partition joined on a worker by the same ASOF match and gather as a local join.

Every entity key value (a symbol) belongs to exactly one partition, so a partition's answer
needs only the source files holding its keys: a file whose key column statistics show a
single value goes to that value's partition, any other file to every partition. What crosses
the network: the partition's key and time columns and the file paths out, one float64
block per partition back (``partition_mb`` at most), copied into the caller's row order.
Keys are dealt to partitions by descending row count onto the lightest partition, so
partitions stay even when a few symbols hold most rows.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from itertools import repeat

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from axiom_features.offline import point_in_time as pit
from axiom_features.offline.joined import JoinedFrame, joined_frame, normalized_entity
from axiom_features.scaleout.cluster import cluster_cpus, ray_session
from axiom_features.scaleout.settings import ComputeSettings
from axiom_features.scaleout.tasks import run_batches


def partition_key(requests: Sequence[pit.ViewRequest]) -> str | None:
    """The one entity column every view joins on, or None when views join on others."""
    keys = {tuple(r.entity_keys) for r in requests}
    if len(keys) != 1:
        return None
    (only,) = keys
    return only[0] if len(only) == 1 else None


def deal_keys(codes: np.ndarray, keys: int, partitions: int) -> np.ndarray:
    """The partition of each key code: heaviest keys first, each onto the lightest bin."""
    counts = np.bincount(codes, minlength=keys)
    load = np.zeros(partitions, dtype=np.int64)
    owner = np.empty(keys, dtype=np.int64)
    for key in np.argsort(-counts, kind="stable"):
        target = int(np.argmin(load))
        owner[key] = target
        load[target] += counts[key]
    return owner


def single_key(path: str, column: str) -> object | None:
    """The only value of ``column`` in the file by its statistics, else None; remembered
    per file version (path, size, modification time)."""
    stat = os.stat(path)
    cache_key = (path, column, stat.st_size, stat.st_mtime_ns)
    if cache_key not in _SINGLE_KEYS:
        if len(_SINGLE_KEYS) > 200_000:
            _SINGLE_KEYS.clear()
        _SINGLE_KEYS[cache_key] = _single_key_read(path, column)
    return _SINGLE_KEYS[cache_key]


_SINGLE_KEYS: dict[tuple, object | None] = {}


def _single_key_read(path: str, column: str) -> object | None:
    meta = pq.ParquetFile(path).metadata
    index = meta.schema.to_arrow_schema().get_field_index(column)
    if index < 0:
        return None
    values = set()
    for group in range(meta.num_row_groups):
        stats = meta.row_group(group).column(index).statistics
        if stats is None or not stats.has_min_max or stats.null_count or stats.min != stats.max:
            return None
        values.add(stats.min)
    return values.pop() if len(values) == 1 else None


def _join_partition(
    entity: pd.DataFrame,
    timestamp_column: str,
    requests: list[pit.ViewRequest],
    known_by_entity_time: bool,
    memory_limit: str | None,
) -> pit.Gathered:
    """Worker: the local join of one partition (DuckDB and gather on one thread)."""
    with pit.connect(memory_limit=memory_limit, threads=1) as con:
        joined = joined_frame(
            con, entity, timestamp_column, requests, known_by_entity_time=known_by_entity_time
        )
    return joined.features


def _partition_requests(
    requests: Sequence[pit.ViewRequest],
    key: str,
    owner_of: dict[object, int],
    partitions: int,
) -> list[list[pit.ViewRequest]]:
    """Each partition's view requests, holding only the files it can match."""
    per_partition: list[list[pit.ViewRequest]] = [[] for _ in range(partitions)]
    for request in requests:
        source_key = request.source_keys[request.entity_keys.index(key)]
        files: list[list[str]] = [[] for _ in range(partitions)]
        with ThreadPoolExecutor(max_workers=8) as pool:
            values = list(pool.map(single_key, request.files, repeat(source_key)))
        for path, value in zip(request.files, values, strict=True):
            if value is None:
                for part in files:
                    part.append(path)
            elif value in owner_of:
                files[owner_of[value]].append(path)
        for index in range(partitions):
            per_partition[index].append(_with_files(request, files[index]))
    return per_partition


def _with_files(request: pit.ViewRequest, files: list[str]) -> pit.ViewRequest:
    fields = {name: getattr(request, name) for name in request.__dataclass_fields__}
    return pit.ViewRequest(**{**fields, "files": files})


def partition_count(rows: int, features: int, settings: ComputeSettings) -> int:
    """Two partitions per cluster CPU at least; more when a result would exceed
    ``partition_mb``."""
    by_size = math.ceil(rows * max(features, 1) * 8 / (settings.partition_mb * 2**20))
    return max(2 * cluster_cpus(), by_size)


def ray_joined_frame(
    entity_df: pd.DataFrame,
    timestamp_column: str,
    requests: Sequence[pit.ViewRequest],
    settings: ComputeSettings,
    *,
    known_by_entity_time: bool = False,
    memory_limit: str | None = None,
) -> JoinedFrame:
    """The answer of :func:`~axiom_features.offline.joined.joined_frame`, computed on Ray;
    the requests must share one entity key (:func:`partition_key`)."""
    key = partition_key(requests)
    if key is None:
        raise ValueError("a partitioned join needs one entity key shared by every view")
    entity = normalized_entity(entity_df, timestamp_column)
    codes, uniques = pd.factorize(entity[key], use_na_sentinel=False)
    features = sum(len(r.output_names) for r in requests)
    with ray_session(settings):
        partitions = min(len(uniques), partition_count(len(entity), features, settings))
        owner = deal_keys(codes, len(uniques), partitions)
        rows_of = np.argsort(owner[codes], kind="stable")
        bounds = np.searchsorted(owner[codes][rows_of], np.arange(1, partitions))
        positions = np.split(rows_of, bounds)
        owner_of = {value: int(owner[i]) for i, value in enumerate(uniques)}
        per_partition = _partition_requests(requests, key, owner_of, partitions)
        narrow = entity[[key, timestamp_column]]
        batches = [
            (
                narrow.iloc[rows].reset_index(drop=True),
                timestamp_column,
                per_partition[index],
                known_by_entity_time,
                memory_limit,
            )
            for index, rows in enumerate(positions)
        ]
        merged = _Merge(len(entity), positions)
        run_batches(_join_partition, batches, merged.add, in_flight=2 * cluster_cpus())
    return JoinedFrame(entity, merged.result())


class _Merge:
    """Partition answers placed back at their entity rows."""

    def __init__(self, rows: int, positions: list[np.ndarray]) -> None:
        self.rows = rows
        self.positions = positions
        self.out: pit.Gathered | None = None
        self.others: dict[str, list[tuple[np.ndarray, pa.Array | pa.ChunkedArray]]] = {}

    def add(self, index: int, part: pit.Gathered) -> None:
        rows = self.positions[index]
        if self.out is None:
            self.out = pit.Gathered(
                num_rows=self.rows,
                names=list(part.names),
                floats=np.empty((len(part.float_row), self.rows), dtype=np.float64),
                float_row=dict(part.float_row),
                valid={name: np.zeros(self.rows, dtype=bool) for name in part.names},
            )
        out = self.out
        if part.float_row != out.float_row:
            raise ValueError("partitions disagree on which features are float64")
        out.floats[:, rows] = part.floats
        for name in part.names:
            out.valid[name][rows] = part.valid.get(name, False)
        for name, column in part.others.items():
            self.others.setdefault(name, []).append((rows, column))

    def result(self) -> pit.Gathered:
        if self.out is None:
            return pit.Gathered(num_rows=self.rows)
        for name, parts in self.others.items():
            rows = np.concatenate([r for r, _ in parts])
            values = pa.concat_arrays(
                [c.combine_chunks() if isinstance(c, pa.ChunkedArray) else c for _, c in parts]
            )
            order = np.empty(self.rows, dtype=np.int64)
            order[rows] = np.arange(len(rows), dtype=np.int64)
            self.out.others[name] = values.take(pa.array(order))
        return self.out
