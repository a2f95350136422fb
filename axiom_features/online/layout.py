"""Feast's Redis online layout, encoded and decoded a column at a time.

Feast keeps one Redis hash per entity: the key is the serialized entity key (version 3)
followed by the project name; each feature is a field named ``mmh3("<view>:<feature>")``
(4 bytes, little endian) holding a serialized ``feast.types.Value``; ``_ts:<view>`` holds the
serialized ``google.protobuf.Timestamp`` of the row's event time. This module produces and
reads exactly those bytes, without a protobuf object per value where the type allows it:

- a ``double_val`` is always 9 bytes, tag ``0x29`` then the little-endian float64, so whole
  columns are encoded and decoded with NumPy;
- a null (or NaN) is the empty message ``b""``;
- every other type goes through Feast's own converters, value by value.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
from feast.infra.key_encoding_utils import serialize_entity_key
from feast.infra.online_stores.helpers import _mmh3
from feast.protos.feast.types.EntityKey_pb2 import EntityKey as EntityKeyProto
from feast.protos.feast.types.Value_pb2 import Value as ValueProto
from feast.type_map import feast_value_type_to_python_type, python_values_to_proto_values
from feast.value_type import ValueType
from google.protobuf.timestamp_pb2 import Timestamp

DOUBLE_TAG = 0x29
"""Field 5 (``double_val``), wire type 1 (64-bit)."""
DOUBLE_SIZE = 9

_U32 = struct.Struct("<I")
_STRING = ValueType.STRING.value
_INT64 = ValueType.INT64.value
_INT32 = ValueType.INT32.value


def feature_field(view: str, feature: str) -> bytes:
    """The hash field of ``feature`` of ``view``: Feast's 4-byte murmur3 of ``view:feature``."""
    return _mmh3(f"{view}:{feature}")


def timestamp_field(view: str) -> bytes:
    """The hash field holding the event time of ``view``'s values."""
    return f"_ts:{view}".encode()


class EntityKeyEncoder:
    """Redis keys of entities with the given join keys, as Feast's ``_redis_key`` builds them.

    String, int64 and int32 join-key values are packed directly; any other type goes through
    ``serialize_entity_key``.
    """

    def __init__(
        self, join_keys: Sequence[str], value_types: Sequence[ValueType], project: str
    ) -> None:
        order = sorted(range(len(join_keys)), key=lambda i: join_keys[i])
        if len(join_keys) == 1:
            order = [0]
        self.join_keys = list(join_keys)
        self.value_types = list(value_types)
        self._order = order
        self._project = project.encode("utf8")
        head = [_U32.pack(len(join_keys))]
        for i in order:
            name = join_keys[i].encode("utf8")
            head += [_U32.pack(_STRING), _U32.pack(len(name)), name]
        self._head = b"".join(head)
        self._direct = all(
            t in (ValueType.STRING, ValueType.INT64, ValueType.INT32) for t in value_types
        )

    def _value(self, value: object, value_type: ValueType) -> bytes:
        if value_type == ValueType.STRING:
            if type(value) is not str:
                raise TypeError(value)
            data = value.encode("utf8")
            return b"".join((_U32.pack(_STRING), _U32.pack(len(data)), data))
        if type(value) is not int:
            raise TypeError(value)
        if value_type == ValueType.INT64:
            return b"".join((_U32.pack(_INT64), _U32.pack(8), struct.pack("<q", value)))
        return b"".join((_U32.pack(_INT32), _U32.pack(4), struct.pack("<i", value)))

    def key(self, values: Sequence[object]) -> bytes:
        """The Redis key of the entity whose join-key values are ``values`` (in join-key order)."""
        if self._direct:
            try:
                parts = [self._value(values[i], self.value_types[i]) for i in self._order]
                return b"".join((self._head, *parts, self._project))
            except TypeError:
                pass
        protos = [
            python_values_to_proto_values([v], t)[0]
            for v, t in zip(values, self.value_types, strict=True)
        ]
        entity = EntityKeyProto(join_keys=self.join_keys, entity_values=protos)
        return serialize_entity_key(entity, entity_key_serialization_version=3) + self._project

    def keys(self, columns: Sequence[Sequence[object]]) -> list[bytes]:
        """Keys of every row of the join-key ``columns``."""
        return [self.key(row) for row in zip(*columns, strict=True)]


# ---------------------------------------------------------------- values


def encode_column(array: pa.Array | pa.ChunkedArray, value_type: ValueType) -> list[bytes]:
    """Serialized ``Value`` messages of a column, byte for byte what Feast writes for it."""
    numpy_values = array.to_numpy(zero_copy_only=False)
    if value_type == ValueType.DOUBLE and numpy_values.dtype == np.float64:
        return encode_doubles(numpy_values)
    return [p.SerializeToString() for p in python_values_to_proto_values(numpy_values, value_type)]


def encode_doubles(values: np.ndarray) -> list[bytes]:
    """``double_val`` messages of a float64 array; NaN becomes the empty (null) message."""
    values = np.ascontiguousarray(values, dtype="<f8")
    records = np.empty((len(values), DOUBLE_SIZE), dtype=np.uint8)
    records[:, 0] = DOUBLE_TAG
    records[:, 1:] = values.view(np.uint8).reshape(-1, 8)
    blob = records.tobytes()
    out = [blob[i : i + DOUBLE_SIZE] for i in range(0, len(blob), DOUBLE_SIZE)]
    for i in np.flatnonzero(np.isnan(values)).tolist():
        out[i] = b""
    return out


def decode_doubles(raw: Sequence[bytes | None]) -> tuple[np.ndarray, np.ndarray] | None:
    """``(values, is_null)`` of serialized ``double_val`` messages, or None when any message is
    not a plain 9-byte double (the caller then decodes value by value)."""
    filled = [v or b"" for v in raw]
    lengths = np.fromiter(map(len, filled), dtype=np.int64, count=len(filled))
    present = lengths == DOUBLE_SIZE
    if not np.all(present | (lengths == 0)):
        return None
    records = np.frombuffer(b"".join(filled), dtype=np.uint8).reshape(-1, DOUBLE_SIZE)
    if records.size and not np.all(records[:, 0] == DOUBLE_TAG):
        return None
    values = np.full(len(filled), np.nan)
    values[present] = records[:, 1:].copy().view("<f8").ravel()
    return values, ~present


def decode_values(raw: Sequence[bytes | None], value_type: ValueType) -> list[object]:
    """Python values of serialized ``Value`` messages, as Feast's ``to_dict`` returns them."""
    if value_type == ValueType.DOUBLE:
        decoded = decode_doubles(raw)
        if decoded is not None:
            values, null = decoded
            out = values.astype(object)
            out[null] = None
            return out.tolist()
    result = []
    message = ValueProto()
    for data in raw:
        message.Clear()
        if data:
            message.ParseFromString(data)
        result.append(feast_value_type_to_python_type(message, value_type))
    return result


def parse_value(data: bytes | None) -> ValueProto:
    message = ValueProto()
    if data:
        message.ParseFromString(data)
    return message


# ---------------------------------------------------------------- timestamps


def encode_timestamps(micros: np.ndarray) -> list[bytes]:
    """Serialized ``Timestamp`` messages of epoch-microsecond instants, as Feast writes them."""
    seconds, rest = np.divmod(micros.astype(np.int64), 1_000_000)
    return [
        Timestamp(seconds=s, nanos=n * 1000).SerializeToString()
        for s, n in zip(seconds.tolist(), rest.tolist(), strict=True)
    ]


def timestamp_nanos(data: bytes | None) -> int:
    """Nanoseconds since the epoch of a serialized ``Timestamp`` (0 when absent)."""
    if not data:
        return 0
    ts = Timestamp()
    ts.ParseFromString(data)
    return ts.seconds * 1_000_000_000 + ts.nanos


def read_timestamp(data: bytes | None) -> tuple[int, int]:
    """``(seconds, nanos)`` a stock Feast read reports for a stored ``_ts`` field.

    Feast converts the stored timestamp to a float number of seconds and back through
    ``datetime``; the same steps give the same (occasionally rounded) instant.
    """
    ts = Timestamp()
    if data:
        ts.ParseFromString(data)
    moment = datetime.fromtimestamp(ts.seconds + ts.nanos / 1_000_000_000.0, tz=UTC)
    out = Timestamp()
    out.FromDatetime(moment)
    return out.seconds, out.nanos
