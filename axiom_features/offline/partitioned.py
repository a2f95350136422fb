"""The point-in-time join on a Ray cluster: entity rows partitioned by their entity key,
each partition joined on a worker by the same ASOF match and gather as a local join.

Every entity key value (a symbol) belongs to exactly one partition, so a partition's answer
needs only the source files holding its keys: a file whose key column statistics show a
single value goes to that value's partition, any other file to every partition. Keys are
dealt to partitions by descending row count onto the lightest partition, so partitions stay
even when a few symbols hold most rows.

How the float64 answer reaches the caller depends on where the nodes run:

- every node on the driver's host (:func:`nodes_share_host`) and room in shared memory: the
  driver maps one answer matrix (features × entity rows) from a file in ``/dev/shm`` and
  each worker writes its partition's values straight into its rows of it; only validity
  masks (and any column that is not float64) travel back, and the driver copies no values;
- otherwise: each partition returns one float64 block (``partition_mb`` at most) through
  Ray's object store and the driver places it at its rows.
"""

from __future__ import annotations

import math
import mmap
import os
import tempfile
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import repeat

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from axiom_features.offline import point_in_time as pit
from axiom_features.offline.joined import JoinedFrame, joined_frame, normalized_entity
from axiom_features.scaleout.cluster import cluster_cpus, ray_session
from axiom_features.scaleout.settings import ComputeSettings
from axiom_features.scaleout.tasks import run_batches

SHARED_PARTITIONS_PER_CPU = 4


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


def single_key(path: str, column: str, filesystem: pafs.FileSystem | None = None) -> object | None:
    """The only value of ``column`` in the file by its statistics, else None; remembered
    per file version (path, size, modification time). ``path`` is local, or on
    ``filesystem``."""
    if filesystem is None:
        stat = os.stat(path)
        cache_key: tuple = (path, column, stat.st_size, stat.st_mtime_ns)
    else:
        info = filesystem.get_file_info(path)
        cache_key = (filesystem.type_name, path, column, info.size, info.mtime_ns)
    if cache_key not in _SINGLE_KEYS:
        if len(_SINGLE_KEYS) > 200_000:
            _SINGLE_KEYS.clear()
        _SINGLE_KEYS[cache_key] = _single_key_read(path, column, filesystem)
    return _SINGLE_KEYS[cache_key]


_SINGLE_KEYS: dict[tuple, object | None] = {}


def _single_key_read(
    path: str, column: str, filesystem: pafs.FileSystem | None = None
) -> object | None:
    meta = pq.ParquetFile(path).metadata if filesystem is None else _metadata(path, filesystem)
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


def _metadata(path: str, filesystem: pafs.FileSystem) -> pq.FileMetaData:
    with filesystem.open_input_file(path) as source:
        return pq.ParquetFile(source).metadata


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


def _join_partition_into(
    entity: pd.DataFrame,
    timestamp_column: str,
    requests: list[pit.ViewRequest],
    known_by_entity_time: bool,
    memory_limit: str | None,
    answer: SharedAnswer,
    positions: np.ndarray,
) -> Placed:
    """Worker: match one partition and write its float64 values into the shared answer at
    the entity rows ``positions``; returns what is not float64 (validity, other columns)."""
    keys = [k for r in requests for k in r.entity_keys]
    rows = pit.entity_rows(entity, timestamp_column, keys)
    with pit.connect(memory_limit=memory_limit, threads=1) as con:
        con.register(pit.ENTITY_TABLE, rows.table)
        try:
            matches = [
                pit.match(con, r, rows, known_by_entity_time=known_by_entity_time) for r in requests
            ]
        finally:
            con.unregister(pit.ENTITY_TABLE)
    floats = answer.open()
    try:
        return gather_into(requests, matches, rows.num_rows, positions, floats, answer.float_row)
    finally:
        del floats


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
            values = list(
                pool.map(single_key, request.files, repeat(source_key), repeat(request.filesystem))
            )
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


def partition_count(
    rows: int, features: int, settings: ComputeSettings, *, shared: bool = False
) -> int:
    """Two partitions per cluster CPU at least; more when a result would exceed
    ``partition_mb``. With a shared answer nothing is sent back, so four per CPU (a slow
    node holds up at most one small partition at the end)."""
    if shared:
        return SHARED_PARTITIONS_PER_CPU * cluster_cpus()
    by_size = math.ceil(rows * max(features, 1) * 8 / (settings.partition_mb * 2**20))
    return max(2 * cluster_cpus(), by_size)


def nodes_share_host() -> bool:
    """Whether every live node of the connected cluster runs on the driver's host."""
    import ray

    here = ray.util.get_node_ip_address()
    return all(n["NodeManagerAddress"] == here for n in ray.nodes() if n["Alive"])


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
        float_bytes = len(entity) * features * 8
        shared = nodes_share_host() and shared_room(float_bytes)
        partitions = min(
            len(uniques), partition_count(len(entity), features, settings, shared=shared)
        )
        owner = deal_keys(codes, len(uniques), partitions)
        rows_of = np.argsort(owner[codes], kind="stable")
        bounds = np.searchsorted(owner[codes][rows_of], np.arange(1, partitions))
        positions = np.split(rows_of, bounds)
        owner_of = {value: int(owner[i]) for i, value in enumerate(uniques)}
        per_partition = _partition_requests(requests, key, owner_of, partitions)
        narrow = entity[[key, timestamp_column]]
        parts = [narrow.iloc[rows].reset_index(drop=True) for rows in positions]
        common = (timestamp_column, known_by_entity_time, memory_limit)
        if not shared:
            merged = _Merge(len(entity), positions)
            batches = [
                (part, common[0], per_partition[i], *common[1:]) for i, part in enumerate(parts)
            ]
            run_batches(_join_partition, batches, merged.add, in_flight=2 * cluster_cpus())
            return JoinedFrame(entity, merged.result())
        names, float_row = answer_layout(requests)
        with shared_answer(len(float_row), len(entity), float_row) as (answer, floats):
            placed = _Placement(len(entity), positions, requests, names, floats, float_row)
            batches = [
                (part, common[0], per_partition[i], *common[1:], answer, positions[i])
                for i, part in enumerate(parts)
            ]
            run_batches(_join_partition_into, batches, placed.add, in_flight=2 * cluster_cpus())
    return JoinedFrame(entity, placed.result())


# ------------------------------------------------- every node on this host: a shared answer


@dataclass(frozen=True)
class SharedAnswer:
    """The answer matrix (float64 features × entity rows) in a file every node can map."""

    path: str
    shape: tuple[int, int]
    float_row: dict[str, int]

    def open(self) -> np.ndarray:
        """The matrix, mapped for writing (writes land in the driver's answer). Its pages
        are mapped in one call (``MAP_POPULATE``): a partition writes into every page, and
        a fault per page costs more than its share of the join."""
        if 0 in self.shape:
            return np.empty(self.shape, dtype=np.float64)
        with open(self.path, "r+b") as file:
            flags = mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0)
            mapped = mmap.mmap(file.fileno(), 0, flags=flags)
        return np.ndarray(self.shape, dtype=np.float64, buffer=mapped)


@dataclass
class Placed:
    """What a partition sends back besides its float64 values (in partition row order)."""

    valid: list[np.ndarray]
    """Per view: which of the partition's rows matched."""
    others: dict[str, pa.Array | pa.ChunkedArray] = field(default_factory=dict)


def answer_layout(requests: Sequence[pit.ViewRequest]) -> tuple[list[str], dict[str, int]]:
    """Output names in order and the matrix row of each float64 one, as a local join
    lays them out."""
    names: list[str] = []
    float_row: dict[str, int] = {}
    for view in requests:
        floats = (
            pit._float_columns(view.files, view.source_columns, view.filesystem)
            if view.files
            else set(view.source_columns)
        )
        for source, name in zip(view.source_columns, view.output_names, strict=True):
            names.append(name)
            if source in floats:
                float_row[name] = len(float_row)
    return names, float_row


def _shared_folder() -> str:
    """Memory-backed when the host has it (no disk writes), else the temporary folder."""
    shm = "/dev/shm"
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK) else tempfile.gettempdir()


def shared_room(size: int) -> bool:
    """Whether the shared folder can hold an answer of ``size`` bytes with a quarter to
    spare (a full memory-backed folder would fail the writers' page faults, not a call)."""
    stats = os.statvfs(_shared_folder())
    return size * 5 // 4 <= stats.f_bavail * stats.f_frsize


@contextmanager
def shared_answer(
    features: int, rows: int, float_row: dict[str, int]
) -> Iterator[tuple[SharedAnswer, np.ndarray]]:
    """A zero-filled answer file and the driver's mapping of it; the file is removed when
    the block ends, the mapping stays the caller's."""
    fd, path = tempfile.mkstemp(prefix="axiom-answer-", suffix=".f64", dir=_shared_folder())
    try:
        os.ftruncate(fd, features * rows * 8)
        os.close(fd)
        answer = SharedAnswer(path, (features, rows), dict(float_row))
        yield answer, answer.open()
    finally:
        os.unlink(path)


def gather_into(
    views: Sequence[pit.ViewRequest],
    matches: Sequence[pa.Table],
    num_rows: int,
    positions: np.ndarray,
    dest: np.ndarray,
    float_row: dict[str, int],
) -> Placed:
    """Matched values of a partition's ``num_rows`` entity rows copied into ``dest`` at the
    rows ``positions`` (unmatched: NaN); non-float64 columns kept in partition order."""
    scratch = pit.Gathered(num_rows=num_rows)
    placed = Placed(valid=[])
    with ThreadPoolExecutor(max_workers=2) as pool:
        for view, matched in zip(views, matches, strict=True):
            pairs = list(zip(view.source_columns, view.output_names, strict=True))
            floats = {s for s, n in pairs if n in float_row}
            targets = [(s, float_row[n]) for s, n in pairs if n in float_row]
            rows = matched.column("r").to_numpy()
            valid = np.zeros(num_rows, dtype=bool)
            valid[rows] = True
            parts = _gather_files(pool, view, matched, targets, floats, positions, dest)
            missing = positions[~valid]
            for _, target in targets:
                dest[target, missing] = np.nan
            pit._place_others(view, floats, parts, num_rows, scratch)
            placed.valid.append(valid)
    placed.others = scratch.others
    return placed


def _gather_files(
    pool: ThreadPoolExecutor,
    view: pit.ViewRequest,
    matched: pa.Table,
    targets: list[tuple[str, int]],
    floats: set[str],
    positions: np.ndarray,
    dest: np.ndarray,
) -> list[tuple[np.ndarray, pa.Table]]:
    """Read each matched file's row groups once and write its values at their rows."""
    if matched.num_rows == 0:
        return []
    files, file_ids, rows, in_file, order, bounds = pit.file_groups(matched)
    columns = list(dict.fromkeys(view.source_columns))
    others = [s for s in columns if s not in floats]

    def one_file(part: np.ndarray) -> tuple[np.ndarray, pa.Table] | None:
        table, local = pit._read_rows(
            files[file_ids[part[0]]], in_file[part], columns, view.filesystem
        )
        at = positions[rows[part]]
        for source, target in targets:
            dest[target, at] = table.column(source).to_numpy()[local]
        if others:
            return rows[part], table.select(others).take(pa.array(local))
        return None

    return [p for p in pool.map(one_file, np.split(order, bounds)) if p is not None]


class _Placement:
    """Validity and non-float columns of every partition placed at their entity rows; the
    float64 values are already in the shared answer."""

    def __init__(
        self,
        rows: int,
        positions: list[np.ndarray],
        requests: Sequence[pit.ViewRequest],
        names: list[str],
        floats: np.ndarray,
        float_row: dict[str, int],
    ) -> None:
        self.rows = rows
        self.positions = positions
        self.requests = list(requests)
        self.names = names
        self.floats = floats
        self.float_row = float_row
        self.valid = [np.zeros(rows, dtype=bool) for _ in self.requests]
        self.others: dict[str, list[tuple[np.ndarray, pa.Array | pa.ChunkedArray]]] = {}

    def add(self, index: int, part: Placed) -> None:
        rows = self.positions[index]
        for view_valid, valid in zip(self.valid, part.valid, strict=True):
            view_valid[rows] = valid
        for name, column in part.others.items():
            self.others.setdefault(name, []).append((rows, column))

    def result(self) -> pit.Gathered:
        out = pit.Gathered(
            num_rows=self.rows, names=self.names, floats=self.floats, float_row=self.float_row
        )
        for view, valid in zip(self.requests, self.valid, strict=True):
            for name in view.output_names:
                out.valid[name] = valid
        out.others = _in_row_order(self.others, self.rows)
        return out


def _in_row_order(
    others: dict[str, list[tuple[np.ndarray, pa.Array | pa.ChunkedArray]]], rows: int
) -> dict[str, pa.Array | pa.ChunkedArray]:
    """Columns sent back per partition, put in entity row order."""
    placed = {}
    for name, parts in others.items():
        at = np.concatenate([r for r, _ in parts])
        values = pa.concat_arrays(
            [c.combine_chunks() if isinstance(c, pa.ChunkedArray) else c for _, c in parts]
        )
        order = np.empty(rows, dtype=np.int64)
        order[at] = np.arange(len(at), dtype=np.int64)
        placed[name] = values.take(pa.array(order))
    return placed


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
        self.out.others.update(_in_row_order(self.others, self.rows))
        return self.out
