"""Reading online features from Redis in bulk, returning what stock Feast returns.

A request is resolved once into a :class:`ReadPlan` with Feast's own resolution (the same
views, feature order, output names and errors as ``get_online_features``) and cached per
registry version. Each read then sends one ``HMGET`` per distinct entity covering every
requested view that shares the entity's key (the views' fields live in the same hash) —
``HGETALL`` when many fields are wanted, which Redis answers far faster than ``HMGET`` —
packed into a single write on one connection and answered through redis-py's parser; float64
values are decoded a block at a time with NumPy. The result is columnar
(:class:`OnlineResult`): ``to_dict()`` equals stock ``OnlineResponse.to_dict()``, and
``to_json()`` equals the body of ``feast serve``'s ``/get-online-features``.

Stock Feast's Redis read reports every requested feature as ``PRESENT``, a missing entity
as null values stamped at the epoch, and a row's time as its stored timestamp converted
through a float; all of that is reproduced.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import redis
from feast import FeatureService, RepoConfig
from feast.infra.registry.base_registry import BaseRegistry
from feast.value_type import ValueType

from axiom_features.online.layout import (
    decode_doubles,
    decode_values,
    read_timestamp,
)
from axiom_features.online.read_plan import (
    HGETALL_MIN_FIELDS,
    KeyGroup,
    NotCovered,
    bulk_string,
    plan_for,
)
from axiom_features.online.read_result import OnlineResult


def _columnar(entity_rows: Any) -> dict[str, list[Any]]:
    if isinstance(entity_rows, list):
        if not entity_rows:
            raise NotCovered("no entity rows")
        columns: dict[str, list[Any]] = {k: [] for k in entity_rows[0]}
        for row in entity_rows:
            if row.keys() != columns.keys():
                raise NotCovered("entity rows with different keys")
            for k, v in row.items():
                columns[k].append(v)
        return columns
    if isinstance(entity_rows, Mapping):
        columns = {}
        for k, v in entity_rows.items():
            if not isinstance(v, Sequence) or isinstance(v, str):
                raise NotCovered("entity values that are not plain lists")
            columns[k] = list(v)
        return columns
    raise NotCovered("entity rows of an unknown shape")


_PYTHON_TYPES = {ValueType.STRING: str, ValueType.INT64: int, ValueType.INT32: int}


def _send_all(client: redis.Redis, payload: bytes, replies: int) -> list[Any]:
    """Send pre-packed commands on one pooled connection and read ``replies`` answers."""
    pool = client.connection_pool
    conn = pool.get_connection()
    try:
        conn.send_packed_command([payload], check_health=False)
        return [conn.read_response() for _ in range(replies)]
    except BaseException:
        conn.disconnect()
        raise
    finally:
        pool.release(conn)


def read_fields(client: Any, keys: Sequence[bytes], group: KeyGroup) -> list[list[bytes | None]]:
    """For every key, the values of the group's fields (None where absent), in field order.

    Many fields: ``HGETALL`` and pick; few: ``HMGET``. Both pipelined as one write on one
    connection (a redis-py pipeline for cluster clients)."""
    if not keys:
        return []
    fields = group.fields
    if type(client) is not redis.Redis:
        with client.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.hmget(key, fields)
            return pipe.execute()
    if len(fields) < HGETALL_MIN_FIELDS:
        head = b"*%d\r\n$5\r\nHMGET\r\n" % (len(fields) + 2)
        payload = b"".join(b"".join((head, bulk_string(k), group.packed_fields)) for k in keys)
        return _send_all(client, payload, len(keys))
    head = b"*2\r\n$7\r\nHGETALL\r\n"
    payload = b"".join(b"".join((head, bulk_string(k))) for k in keys)
    return [group.pick(reply) for reply in _send_all(client, payload, len(keys))]


def read_online(
    client: Any,
    *,
    config: RepoConfig,
    registry: BaseRegistry,
    project: str,
    features: list[str] | FeatureService,
    entity_rows: Any,
    full_feature_names: bool = False,
) -> OnlineResult:
    """The online features of ``entity_rows``, as stock ``get_online_features`` returns them."""
    plan = plan_for(registry, project, config, features, full_feature_names)
    columns = _columnar(entity_rows)
    lengths = {len(v) for v in columns.values()}
    if len(lengths) != 1:
        raise NotCovered("entity columns of different lengths")
    rows = lengths.pop()
    result = OnlineResult(rows=rows)
    for name, values in columns.items():
        if name in plan.join_keys:
            expected = _PYTHON_TYPES.get(plan.join_key_types.get(name, ValueType.UNKNOWN))
            if expected is None or any(type(v) is not expected for v in values):
                raise NotCovered(f"entity values of {name}")
            result.names.append(name)
            result.values.append(values)
            result.value_types.append(plan.join_key_types[name])
            result.timestamps.append(None)
        elif name in plan.entity_names:
            raise NotCovered("entity names instead of join keys")
    for group in plan.groups:
        missing = [k for k in group.join_keys if k not in columns]
        if missing:
            raise NotCovered(f"missing join keys {missing}")
        _read_group(client, group, [columns[k] for k in group.join_keys], rows, result)
    return result


def _read_group(
    client: Any, group: KeyGroup, key_columns: list[list[Any]], rows: int, result: OnlineResult
) -> None:
    keys = group.encoder.keys(key_columns)
    unique: dict[bytes, int] = {}
    row_to_unique = np.fromiter(
        (unique.setdefault(k, len(unique)) for k in keys), dtype=np.int64, count=rows
    )
    replies = read_fields(client, list(unique), group)
    offset = 0
    for view in group.views:
        count = len(view.names)
        seen: dict[bytes | None, tuple[int, int]] = {}
        stamps_unique = []
        for reply in replies:
            raw = reply[offset + count]
            stamp = seen.get(raw)
            if stamp is None:
                stamp = seen[raw] = read_timestamp(raw)
            stamps_unique.append(stamp)
        stamps = [stamps_unique[i] for i in row_to_unique.tolist()]
        if view.all_double:
            block = _double_block(replies, offset, count)
        else:
            block = None
        if block is not None:
            values, null = block
            table = values[row_to_unique]
            cells = table.astype(object)
            cells[null[row_to_unique]] = None
            per_feature = cells.T.tolist() if count else []
        else:
            per_feature = []
            for j, vtype in enumerate(view.value_types):
                decoded = decode_values([reply[offset + j] for reply in replies], vtype)
                per_feature.append([decoded[i] for i in row_to_unique.tolist()])
        for name, vtype, values in zip(view.names, view.value_types, per_feature, strict=True):
            result.names.append(name)
            result.values.append(values)
            result.value_types.append(vtype)
            result.timestamps.append(stamps)
        offset += count + 1


def _double_block(
    replies: list[list[bytes | None]], offset: int, count: int
) -> tuple[np.ndarray, np.ndarray] | None:
    """``(values, is_null)`` of shape (entities, features) for an all-float64 view."""
    flat = [v for reply in replies for v in reply[offset : offset + count]]
    decoded = decode_doubles(flat)
    if decoded is None:
        return None
    values, null = decoded
    return values.reshape(len(replies), count), null.reshape(len(replies), count)
