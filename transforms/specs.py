"""Feature and view specifications: what a column is, how it is computed, and its version."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from typing import Any

from transforms.natures import NATURES, nature_of

FEATURE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
"""A feature name is a lowercase identifier (it becomes a column and a Feast field)."""

RESERVED_NAMES = frozenset(
    {
        "symbol",
        "event_timestamp",
        "created_timestamp",
        "source",
        "open",
        "high",
        "low",
        "close",
        "volume",
    }
)
"""Column names of the bars and offline-table keys, which no feature may take."""


@dataclass(frozen=True)
class FeatureSpec:
    """One output column of one transform call.

    ``warmup`` is the number of leading rows for which the value is undefined (NaN): the
    rows of history the transform needs first. ``post`` names a documented step applied to
    the raw output (empty for none).
    """

    name: str
    view: str
    function: str
    inputs: tuple[str, ...]
    parameters: Mapping[str, int | float]
    output: str
    dtype: str
    version: str
    description: str
    warmup: int
    transform: str = "talib"
    post: str = ""
    nature: str = ""
    """How the values behave (:mod:`transforms.natures`); derived when left empty. Metadata:
    not part of :meth:`identity`, so it never changes a view's version."""

    def __post_init__(self) -> None:
        if not FEATURE_NAME.match(self.name):
            raise ValueError(f"feature name {self.name!r} is not a lowercase identifier")
        if self.name in RESERVED_NAMES:
            raise ValueError(f"feature name {self.name!r} is reserved")
        if self.warmup < 0:
            raise ValueError(f"feature {self.name!r}: warmup must be >= 0, got {self.warmup}")
        if not self.nature:
            derived = nature_of(name=self.name, view=self.view, function=self.function,
                                transform=self.transform, output=self.output, post=self.post)
            object.__setattr__(self, "nature", derived)  # fmt: skip
        elif self.nature not in NATURES:
            raise ValueError(f"feature {self.name!r}: unknown nature {self.nature!r}")

    @property
    def call_key(self) -> tuple[str, str, tuple[str, ...], tuple[tuple[str, int | float], ...]]:
        """Features sharing this key are outputs of one and the same call."""
        return (self.transform, self.function, self.inputs, tuple(sorted(self.parameters.items())))

    def identity(self) -> dict[str, Any]:
        """What determines the values of this column; hashed into the view version."""
        return {
            "name": self.name,
            "transform": self.transform,
            "function": self.function,
            "inputs": list(self.inputs),
            "parameters": dict(sorted(self.parameters.items())),
            "output": self.output,
            "post": self.post,
            "version": self.version,
        }

    def to_record(self) -> dict[str, Any]:
        """A JSON-serialisable description (``axiom features list --json``)."""
        return {
            "view": self.view,
            "name": self.name,
            "dtype": self.dtype,
            "transform": self.transform,
            "function": self.function,
            "inputs": list(self.inputs),
            "parameters": dict(self.parameters),
            "output": self.output,
            "post": self.post,
            "version": self.version,
            "warmup": self.warmup,
            "nature": self.nature,
            "description": self.description,
        }


def view_version(features: tuple[FeatureSpec, ...]) -> str:
    """Short stable hash of everything that determines a view's values (order-independent)."""
    identities = sorted((f.identity() for f in features), key=lambda d: d["name"])
    payload = json.dumps(identities, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()[:10]


@dataclass(frozen=True)
class ViewSpec:
    """A feature view: a named group of features written to one offline table.

    ``version`` is derived from the features, so it changes whenever a name, function,
    input, parameter or transform version changes.
    """

    name: str
    description: str
    features: tuple[FeatureSpec, ...]
    ttl: timedelta = field(default=timedelta(days=7))

    def __post_init__(self) -> None:
        if not FEATURE_NAME.match(self.name):
            raise ValueError(f"view name {self.name!r} is not a lowercase identifier")
        names = [f.name for f in self.features]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"view {self.name!r}: duplicate feature names {duplicates}")
        strays = [f.name for f in self.features if f.view != self.name]
        if strays:
            raise ValueError(f"view {self.name!r}: features of another view {strays}")

    @cached_property
    def version(self) -> str:
        return view_version(self.features)

    @property
    def feature_names(self) -> list[str]:
        return [f.name for f in self.features]
