"""Label schemas: what annotators choose from, for which entity and time, and gold items.

A schema is a versioned YAML or JSON document::

    name: regime
    version: 2
    kind: nominal            # nominal | ordinal | interval
    entity: symbol
    time: event_timestamp
    guideline: Label the market regime of the highlighted bar.
    classes:
      - {value: -1, name: bear, key: "1"}
      - {value: 0, name: range, key: "2"}
      - {value: 1, name: bull, key: "3"}
    gold:
      - {item: "AAA@2024-03-01T21:00:00+00:00", value: 1}
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Field, ValidationError, model_validator

Kind = Literal["nominal", "ordinal", "interval"]


class SchemaError(ValueError):
    """A schema file that cannot be read or does not validate; the message names the key."""


class LabelClass(BaseModel):
    """One choice offered to annotators."""

    value: int
    """The stored label value."""
    name: str
    """What the button says."""
    key: str = Field(min_length=1, max_length=1)
    """The keyboard shortcut (one character)."""


class GoldItem(BaseModel):
    """An item whose answer is known, mixed into the queue to measure annotators."""

    item: str
    """Item id: ``<entity>@<ISO time>``."""
    value: int


class LabelSchema(BaseModel):
    """A versioned label schema."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    version: int = Field(ge=1)
    kind: Kind = "nominal"
    entity: str = "symbol"
    time: str = "event_timestamp"
    guideline: str = ""
    classes: list[LabelClass] = Field(min_length=2)
    gold: list[GoldItem] = []

    @model_validator(mode="after")
    def _distinct(self) -> LabelSchema:
        for field in ("value", "name", "key"):
            seen = [getattr(c, field) for c in self.classes]
            if len(set(seen)) != len(seen):
                raise ValueError(f"classes: duplicate {field} in {seen}")
        values = {c.value for c in self.classes}
        for i, item in enumerate(self.gold):
            if item.value not in values:
                raise ValueError(f"gold.{i}.value: {item.value} is not a class value")
        return self

    @property
    def values(self) -> list[int]:
        return [c.value for c in self.classes]

    @property
    def ref(self) -> str:
        """``name@version``: how events record the schema they were made under."""
        return f"{self.name}@{self.version}"

    def gold_answers(self) -> dict[str, int]:
        return {g.item: g.value for g in self.gold}


def load_schema(path: Path) -> LabelSchema:
    """Read a YAML or JSON schema; errors name the file and the key."""
    path = Path(path)
    try:
        text = path.read_text()
        raw = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise SchemaError(f"{path}: cannot read schema: {exc}".splitlines()[0]) from exc
    if not isinstance(raw, dict):
        raise SchemaError(f"{path}: a schema is a mapping, got {type(raw).__name__}")
    try:
        return LabelSchema.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        message = first["msg"].removeprefix("Value error, ")
        key = ".".join(str(p) for p in first["loc"])
        raise SchemaError(f"{path}: {key}: {message}" if key else f"{path}: {message}") from exc


def save_schema(schema: LabelSchema, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = schema.model_dump(mode="json")
    path.write_text(json.dumps(data, indent=2) if path.suffix == ".json" else yaml.safe_dump(data))
    return path
