"""A read's columnar result, equal to stock Feast's ``OnlineResponse`` and ``feast serve`` JSON."""


from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from feast.online_response import TIMESTAMP_POSTFIX, OnlineResponse
from feast.protos.feast.serving.ServingService_pb2 import FieldStatus, GetOnlineFeaturesResponse
from feast.type_map import python_values_to_proto_values
from feast.value_type import ValueType
from google.protobuf.timestamp_pb2 import Timestamp

from axiom_features.online.read_plan import NotCovered


@dataclass
class OnlineResult:
    """Columnar online features: one entry per output name, rows in request order."""

    names: list[str] = field(default_factory=list)
    values: list[list[Any]] = field(default_factory=list)
    value_types: list[ValueType] = field(default_factory=list)
    timestamps: list[list[tuple[int, int]] | None] = field(default_factory=list)
    """Per column, the ``(seconds, nanos)`` of each row; None for entity columns."""
    rows: int = 0

    def to_dict(self, include_event_timestamps: bool = False) -> dict[str, list[Any]]:
        """What stock ``OnlineResponse.to_dict`` returns for the same request."""
        out: dict[str, list[Any]] = {}
        for name, values, stamps in zip(self.names, self.values, self.timestamps, strict=True):
            out[name] = list(values)
            if include_event_timestamps:
                out[name + TIMESTAMP_POSTFIX] = (
                    [0] * self.rows if stamps is None else [s for s, _ in stamps]
                )
        return out

    def to_json(self) -> dict[str, Any]:
        """What stock ``feast serve`` answers to ``/get-online-features`` (parsed JSON)."""
        statuses = ["PRESENT"] * self.rows
        epoch = ["1970-01-01T00:00:00Z"] * self.rows
        results = []
        cache: dict[int, list[str]] = {}
        for values, vtype, stamps in zip(
            self.values, self.value_types, self.timestamps, strict=True
        ):
            if stamps is None:
                texts = epoch
            else:
                texts = cache.get(id(stamps))
                if texts is None:
                    texts = cache[id(stamps)] = [_timestamp_text(s, n) for s, n in stamps]
            results.append(
                {
                    "values": _json_values(values, vtype),
                    "statuses": statuses,
                    "event_timestamps": texts,
                }
            )
        return {"results": results, "metadata": {"feature_names": list(self.names)}}

    def to_proto(self) -> GetOnlineFeaturesResponse:
        """Feast's response protobuf (built only when a caller needs it)."""
        response = GetOnlineFeaturesResponse(results=[])
        zero = Timestamp()
        for name, values, vtype, stamps in zip(
            self.names, self.values, self.value_types, self.timestamps, strict=True
        ):
            response.metadata.feature_names.val.append(name)
            times = (
                [zero] * self.rows
                if stamps is None
                else [Timestamp(seconds=s, nanos=n) for s, n in stamps]
            )
            response.results.append(
                GetOnlineFeaturesResponse.FeatureVector(
                    values=python_values_to_proto_values(values, vtype),
                    statuses=[FieldStatus.PRESENT] * self.rows,
                    event_timestamps=times,
                )
            )
        return response


def _json_values(values: list[Any], vtype: ValueType) -> list[Any]:
    if vtype in (ValueType.DOUBLE, ValueType.FLOAT):
        if all(v is None or math.isfinite(v) for v in values):
            return values
        return [None if v is None else _float_text(v) for v in values]
    if vtype in (ValueType.STRING, ValueType.INT64, ValueType.INT32, ValueType.BOOL):
        return values
    raise NotCovered(f"JSON of {vtype}")


def _float_text(value: float) -> float | str:
    if math.isfinite(value):
        return value
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def _timestamp_text(seconds: int, nanos: int) -> str:
    if seconds == 0 and nanos == 0:
        return "1970-01-01T00:00:00Z"
    base = datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S")
    if nanos == 0:
        return base + "Z"
    if nanos % 1_000_000 == 0:
        return f"{base}.{nanos // 1_000_000:03d}Z"
    if nanos % 1_000 == 0:
        return f"{base}.{nanos // 1_000:06d}Z"
    return f"{base}.{nanos:09d}Z"


class FastOnlineResponse(OnlineResponse):
    """An ``OnlineResponse`` over an :class:`OnlineResult`; ``.proto`` is built on demand."""

    def __init__(self, result: OnlineResult) -> None:
        self.result = result
        self._proto: GetOnlineFeaturesResponse | None = None
        self._feature_types = {}

    @property
    def proto(self) -> GetOnlineFeaturesResponse:  # type: ignore[override]
        if self._proto is None:
            self._proto = self.result.to_proto()
        return self._proto

    @proto.setter
    def proto(self, value: GetOnlineFeaturesResponse) -> None:
        self._proto = value

    def to_dict(self, include_event_timestamps: bool = False) -> dict[str, Any]:
        return self.result.to_dict(include_event_timestamps)


