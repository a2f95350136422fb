"""Writing an Arrow table of feature rows into Redis in Feast's layout, batched and pipelined.

What ``RedisOnlineStore.online_write_batch`` stores, byte for byte (see
:mod:`axiom_features.online.layout`), with the same rules: a row is skipped when the stored
``_ts:<view>`` is as new or newer (unless ``skip_dedup``), and every key written gets the
configured ``key_ttl_seconds``. Values are serialized a column at a time and sent in
pipelines of ``batch_rows`` rows, with no protobuf object per float value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from feast.value_type import ValueType

from axiom_features.online.layout import (
    EntityKeyEncoder,
    encode_column,
    encode_timestamps,
    feature_field,
    timestamp_field,
    timestamp_nanos,
)

DEFAULT_BATCH_ROWS = 500


@dataclass(frozen=True)
class ViewLayout:
    """What the writer needs to know about one feature view."""

    name: str
    """The view's online name (Feast's versioned name)."""
    join_keys: list[str]
    join_key_types: list[ValueType]
    features: list[tuple[str, ValueType]]
    timestamp_column: str = "event_timestamp"


@dataclass(frozen=True)
class WriteResult:
    rows: int
    """Rows offered."""
    written: int
    """Rows written (the others were not newer than what Redis holds)."""


def _micros(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Epoch microseconds of a timestamp column (naive values are taken as UTC)."""
    typ = column.type
    if pa.types.is_timestamp(typ) and typ.unit != "us":
        column = column.cast(pa.timestamp("us", tz=typ.tz), safe=False)
    return column.cast(pa.int64()).to_numpy(zero_copy_only=False)


def write_rows(
    client,  # noqa: ANN001 - redis.Redis or RedisCluster
    *,
    project: str,
    view: ViewLayout,
    table: pa.Table,
    key_ttl_seconds: int | None = None,
    skip_dedup: bool = False,
    batch_rows: int = DEFAULT_BATCH_ROWS,
) -> WriteResult:
    """Write every row of ``table`` (join keys, features, event timestamp) for ``view``."""
    if table.num_rows == 0:
        return WriteResult(0, 0)
    encoder = EntityKeyEncoder(view.join_keys, view.join_key_types, project)
    keys = encoder.keys([table.column(k).to_pylist() for k in view.join_keys])
    nanos = _micros(table.column(view.timestamp_column)) * 1000
    stamps = encode_timestamps(nanos // 1000)
    fields = [feature_field(view.name, name) for name, _ in view.features]
    ts_field = timestamp_field(view.name)
    columns = [encode_column(table.column(name), vtype) for name, vtype in view.features]

    rows = _rows_to_write(client, keys, nanos.tolist(), ts_field, skip_dedup)
    for start in range(0, len(rows), batch_rows):
        with client.pipeline(transaction=False) as pipe:
            for i in rows[start : start + batch_rows]:
                mapping = {ts_field: stamps[i]}
                mapping.update(zip(fields, [column[i] for column in columns], strict=True))
                pipe.hset(keys[i], mapping=mapping)
                if key_ttl_seconds:
                    pipe.expire(keys[i], key_ttl_seconds)
            pipe.execute()
    return WriteResult(rows=table.num_rows, written=len(rows))


def _rows_to_write(
    client,  # noqa: ANN001
    keys: Sequence[bytes],
    nanos: Sequence[int],
    ts_field: bytes,
    skip_dedup: bool,
) -> list[int]:
    """Indexes of the rows newer than what Redis (or an earlier row of the table) holds."""
    if skip_dedup:
        return list(range(len(keys)))
    with client.pipeline(transaction=False) as pipe:
        for key in keys:
            pipe.hmget(key, ts_field)
        stored = [timestamp_nanos(reply[0]) for reply in pipe.execute()]
    latest: dict[bytes, int] = {}
    chosen = []
    for i, (key, new, old) in enumerate(zip(keys, nanos, stored, strict=True)):
        seen = max(old, latest.get(key, 0))
        if seen and new <= seen:
            continue
        latest[key] = new
        chosen.append(i)
    return chosen
