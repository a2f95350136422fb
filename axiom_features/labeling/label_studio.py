"""Label Studio's JSON task format: export items with their annotations, import
annotations back as events.

A task is ``{"id", "data": {"item", "symbol", "time"}, "annotations": [{"completed_by",
"created_at", "result": [{"from_name": "label", "to_name": "chart", "type": "choices",
"value": {"choices": [<class name>]}}]}]}``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from axiom_features.labeling.events import AnnotationEvent, parse_item
from axiom_features.labeling.schema import LabelSchema


def export_tasks(items: list[str], labels: pd.DataFrame, schema: LabelSchema) -> list[dict]:
    """Tasks for ``items`` with each annotator's current label (``item, annotator, value,
    created_at``) as an annotation."""
    names = {c.value: c.name for c in schema.classes}
    by_item = {k: g for k, g in labels.groupby("item")} if len(labels) else {}
    tasks = []
    for number, item in enumerate(items, start=1):
        symbol, time = parse_item(item)
        annotations = []
        for row in by_item.get(item, pd.DataFrame()).itertuples():
            annotations.append(
                {
                    "completed_by": row.annotator,
                    "created_at": pd.Timestamp(row.created_at).isoformat(),
                    "result": [
                        {
                            "from_name": "label",
                            "to_name": "chart",
                            "type": "choices",
                            "value": {"choices": [names[int(row.value)]]},
                        }
                    ],
                }
            )
        data = {"item": item, "symbol": symbol, "time": time.isoformat()}
        tasks.append({"id": number, "data": data, "annotations": annotations})
    return tasks


def import_tasks(path: Path, schema: LabelSchema) -> list[AnnotationEvent]:
    """Annotation events from a Label Studio JSON export; an unknown choice or a task without
    an item names the task and the field."""
    path = Path(path)
    try:
        tasks = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: not a Label Studio JSON export: {exc}") from exc
    values = {c.name: c.value for c in schema.classes}
    events = []
    for index, task in enumerate(tasks):
        item = (task.get("data") or {}).get("item")
        if not item:
            raise ValueError(f"{path}: task {index}: data.item is missing")
        for a_index, annotation in enumerate(task.get("annotations", [])):
            who = str(annotation.get("completed_by") or "label-studio")
            when = pd.Timestamp(annotation.get("created_at") or pd.Timestamp.now(tz="UTC"))
            when = when.tz_localize("UTC") if when.tzinfo is None else when
            for result in annotation.get("result", []):
                for choice in result.get("value", {}).get("choices", []):
                    if choice not in values:
                        raise ValueError(
                            f"{path}: task {index}: annotations.{a_index}.result: choice "
                            f"'{choice}' is not a class of {schema.ref}"
                        )
                    events.append(
                        AnnotationEvent(item=item, annotator=who, schema=schema.ref,
                                        value=values[choice], created_at=when.to_pydatetime())
                    )  # fmt: skip
    return events
