"""Feast's Redis layout, column at a time: the same bytes as Feast's own serializers."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
import pytest
from feast.infra.online_stores.helpers import _redis_key
from feast.protos.feast.types.EntityKey_pb2 import EntityKey
from feast.type_map import python_values_to_proto_values
from feast.value_type import ValueType
from google.protobuf.timestamp_pb2 import Timestamp

from axiom_features.online.layout import (
    EntityKeyEncoder,
    decode_doubles,
    decode_values,
    encode_column,
    encode_doubles,
    encode_timestamps,
    read_timestamp,
)


def _feast_key(join_keys, types, values, project="proj") -> bytes:
    protos = [python_values_to_proto_values([v], t)[0] for v, t in zip(values, types, strict=True)]
    return _redis_key(project, EntityKey(join_keys=join_keys, entity_values=protos), 3)


@pytest.mark.parametrize(
    ("join_keys", "types", "values"),
    [
        (["symbol"], [ValueType.STRING], ["AAPL"]),
        (["symbol"], [ValueType.STRING], ["Zürich-€"]),
        (["account_id"], [ValueType.INT64], [-42]),
        (["venue", "account"], [ValueType.STRING, ValueType.INT64], ["XNYS", 7]),
        (["b", "a"], [ValueType.INT32, ValueType.STRING], [3, "x"]),
    ],
)
def test_entity_keys_equal_feasts(join_keys, types, values) -> None:
    encoder = EntityKeyEncoder(join_keys, types, "proj")
    assert encoder.key(values) == _feast_key(join_keys, types, values)


def test_doubles_encode_as_feast_serializes_them() -> None:
    values = np.array([1.5, np.nan, 0.0, -0.0, np.inf, -np.inf, 1e-310, -123456.789])
    expected = [
        p.SerializeToString() for p in python_values_to_proto_values(values, ValueType.DOUBLE)
    ]
    assert encode_doubles(values) == expected
    assert encode_column(pa.array(values), ValueType.DOUBLE) == expected
    with_nulls = pa.array([1.0, None, 2.0])
    assert encode_column(with_nulls, ValueType.DOUBLE) == [
        p.SerializeToString()
        for p in python_values_to_proto_values(
            with_nulls.to_numpy(zero_copy_only=False), ValueType.DOUBLE
        )
    ]


def test_other_types_go_through_feasts_converter() -> None:
    ints = pa.array([1, None, -5], pa.int64())
    expected = [
        p.SerializeToString()
        for p in python_values_to_proto_values(ints.to_numpy(zero_copy_only=False), ValueType.INT64)
    ]
    assert encode_column(ints, ValueType.INT64) == expected
    assert decode_values(expected, ValueType.INT64) == [1, None, -5]


def test_doubles_decode_in_bulk_and_odd_messages_fall_back() -> None:
    values = np.array([2.5, np.nan, -0.0, np.inf])
    raw = encode_doubles(values) + [None]
    decoded, null = decode_doubles(raw)
    assert null.tolist() == [False, True, False, False, True]
    assert decoded[0] == 2.5 and np.signbit(decoded[2]) and decoded[3] == np.inf
    assert decode_values(raw, ValueType.DOUBLE) == [2.5, None, -0.0, np.inf, None]
    # A float_val (tag 0x35) in a double column: not the fixed layout, decoded one by one.
    odd = python_values_to_proto_values([1.25], ValueType.FLOAT)[0].SerializeToString()
    assert decode_doubles([odd]) is None
    assert decode_values([odd, raw[0]], ValueType.DOUBLE) == [1.25, 2.5]


def test_timestamps_are_feasts() -> None:
    moments = [
        datetime(2026, 6, 30, 20, 0, 0, 123456, tzinfo=UTC),
        datetime(1969, 7, 20, tzinfo=UTC),
    ]
    micros = np.array([int(m.timestamp() * 1_000_000) for m in moments], dtype=np.int64)
    expected = []
    for m in moments:
        ts = Timestamp()
        ts.FromDatetime(m)
        expected.append(ts.SerializeToString())
    assert encode_timestamps(micros) == expected
    assert read_timestamp(None) == (0, 0)
    assert read_timestamp(expected[0])[0] == int(moments[0].timestamp())
