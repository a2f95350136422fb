"""Annotation events: who said what about which item, when, under which schema version.

Events are only ever appended. A later event by the same annotator on the same item
supersedes the earlier one when labels are read; the history stays.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Literal

import pandas as pd

Action = Literal["label", "skip", "comment"]
EVENT_COLUMNS = (
    "event_id", "item", "annotator", "action", "value", "comment", "schema", "created_at",
)  # fmt: skip


def item_id(entity: str, time: datetime | pd.Timestamp) -> str:
    """``<entity>@<ISO UTC time>``: the id of the item labelling ``entity`` at ``time``."""
    ts = pd.Timestamp(time)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return f"{entity}@{ts.isoformat()}"


def parse_item(item: str) -> tuple[str, pd.Timestamp]:
    """The entity and UTC time of an item id; a malformed id names itself."""
    entity, sep, when = item.rpartition("@")
    if not sep or not entity:
        raise ValueError(f"item '{item}': expected <entity>@<ISO time>")
    try:
        ts = pd.Timestamp(when)
    except ValueError as exc:
        raise ValueError(f"item '{item}': '{when}' is not an ISO time") from exc
    return entity, ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


@dataclass(frozen=True)
class AnnotationEvent:
    item: str
    annotator: str
    schema: str
    """``name@version`` of the schema the annotator saw."""
    action: Action = "label"
    value: int | None = None
    comment: str = ""
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    event_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def __post_init__(self) -> None:
        if not self.annotator.strip():
            raise ValueError(f"item '{self.item}': annotator: an annotator name is required")
        if self.action == "label" and self.value is None:
            raise ValueError(f"item '{self.item}': value: a label needs a value")
        parse_item(self.item)

    def record(self) -> dict:
        row = asdict(self)
        row["created_at"] = pd.Timestamp(self.created_at).tz_convert("UTC").isoformat()
        return row


def events_frame(records: list[dict]) -> pd.DataFrame:
    """Events as a frame in append order, ``created_at`` as UTC timestamps."""
    frame = pd.DataFrame(records, columns=list(EVENT_COLUMNS))
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True, format="ISO8601")
    frame["value"] = frame["value"].astype("Int64")
    frame["comment"] = frame["comment"].fillna("").astype(str)
    return frame


def current_labels(events: pd.DataFrame, schema: str | None = None) -> pd.DataFrame:
    """Each annotator's latest label per item (skips and comments do not count), as
    ``item, annotator, value, schema, created_at``."""
    frame = events[events["action"] == "label"]
    if schema is not None:
        frame = frame[frame["schema"] == schema]
    frame = frame.sort_values("created_at", kind="stable")
    latest = frame.drop_duplicates(["item", "annotator"], keep="last")
    return latest[["item", "annotator", "value", "schema", "created_at"]].reset_index(drop=True)
