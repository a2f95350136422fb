"""The ``/get-online-features`` request body, validated before anything is read.

:func:`parse_request` turns a decoded JSON body into an :class:`OnlineRequest` or raises
:class:`RequestError`, whose ``field`` names the offending part (``entities.symbol[2]``) and
whose ``status`` is the HTTP answer: 400 for a body that is not an object, 413 for more
entity rows than :class:`RequestLimits` allows, 422 for a field of the wrong shape. Entity
values must be lists of strings or integers: a bare string such as ``{"symbol": "AXM"}``
is an error, not three entities ``A``, ``X``, ``M``; a null is an error, not a server fault.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field

KNOWN_FIELDS = frozenset(
    {
        "entities",
        "features",
        "feature_service",
        "full_feature_names",
        "include_feature_view_version_metadata",
    }
)


class RequestLimits(BaseModel):
    """What one request may ask of the server."""

    max_body_bytes: int = Field(1_048_576, gt=0)
    """Largest request body read, in bytes; a larger body is answered 413 unread."""
    max_entity_rows: int = Field(1_000, gt=0)
    """Most entity rows in one request; more are answered 413."""


class RequestError(ValueError):
    """A request the server refuses: ``status`` to answer, ``field`` at fault."""

    def __init__(self, field: str, message: str, status: int = 422) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.status = status

    def to_json(self) -> dict[str, str]:
        return {"error": str(self), "field": self.field}


@dataclass(frozen=True)
class OnlineRequest:
    """A valid request: either feature references or a feature service name."""

    entities: dict[str, list[str | int]]
    features: list[str] | None
    feature_service: str | None
    full_feature_names: bool
    include_feature_view_version_metadata: bool


def _type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__.replace("str", "string")


def _entities(value: Any, limits: RequestLimits) -> dict[str, list[str | int]]:
    if not isinstance(value, dict) or not value:
        raise RequestError("entities", "expected an object of join key → list of values")
    rows: int | None = None
    for key, values in value.items():
        where = f"entities.{key}"
        if not isinstance(values, list):
            raise RequestError(where, f"expected a list of values, got a {_type_name(values)}")
        if len(values) > limits.max_entity_rows:
            raise RequestError(
                where,
                f"{len(values)} entity rows; at most {limits.max_entity_rows} per request",
                status=413,
            )
        for i, item in enumerate(values):
            if isinstance(item, bool) or not isinstance(item, str | int):
                raise RequestError(
                    f"{where}[{i}]", f"expected a string or an integer, got {_type_name(item)}"
                )
        if rows is not None and len(values) != rows:
            raise RequestError(where, f"{len(values)} values where other keys have {rows}")
        rows = len(values)
    if not rows:
        raise RequestError("entities", "no entity rows")
    return value


def _features(value: Any) -> list[str]:
    if not isinstance(value, list) or not value:
        raise RequestError("features", "expected a non-empty list of 'view:feature' strings")
    for i, ref in enumerate(value):
        if not isinstance(ref, str) or ref.count(":") != 1 or ref.startswith(":"):
            raise RequestError(f"features[{i}]", f"expected 'view:feature', got {ref!r}")
    return value


def _flag(body: dict[str, Any], name: str) -> bool:
    value = body.get(name, False)
    if not isinstance(value, bool):
        raise RequestError(name, f"expected true or false, got {_type_name(value)}")
    return value


def parse_request(body: Any, limits: RequestLimits | None = None) -> OnlineRequest:
    """The validated request of a decoded JSON ``body``."""
    limits = limits or RequestLimits()
    if not isinstance(body, dict):
        raise RequestError("body", "expected a JSON object", status=400)
    unknown = sorted(set(body) - KNOWN_FIELDS)
    if unknown:
        raise RequestError(unknown[0], "unknown field")
    service = body.get("feature_service")
    has_features = body.get("features") is not None
    if (service is not None) == has_features:
        raise RequestError("features", "give either 'features' or 'feature_service'")
    if service is not None and (not isinstance(service, str) or not service):
        raise RequestError("feature_service", "expected the name of a feature service")
    return OnlineRequest(
        entities=_entities(body.get("entities"), limits),
        features=_features(body["features"]) if has_features else None,
        feature_service=service,
        full_feature_names=_flag(body, "full_feature_names"),
        include_feature_view_version_metadata=_flag(body, "include_feature_view_version_metadata"),
    )
