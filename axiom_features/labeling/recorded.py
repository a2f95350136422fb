"""Annotation events leave an audit entry per appended batch, as jobs leave one per run."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from axiom_features.audit.entries import Action
from axiom_features.labeling.events import AnnotationEvent
from axiom_features.labeling.store import LabelStore
from axiom_features.lineage.settings import lineage_config


def events_digest(records: list[dict[str, Any]]) -> str:
    """sha256 of annotation events in their canonical JSON form."""
    text = json.dumps(records, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class AuditedLabelStore:
    """A label store whose appends are also audit entries (``labels annotate``): the
    annotators, items and a content hash of the appended events."""

    def __init__(self, store: LabelStore, root: Path) -> None:
        self.store, self.root = store, Path(root)

    def append(self, events: Iterable[AnnotationEvent]) -> int:
        batch = list(events)
        count = self.store.append(batch)
        config = lineage_config()
        if batch and config.enabled:
            from axiom_features.audit.log import AuditLog

            records = [e.record() for e in batch]
            action = Action(
                command="labels annotate",
                outputs=[{"name": "labels:events", "sha256": events_digest(records)}],
                details={
                    "events": count,
                    "annotators": sorted({str(r.get("annotator")) for r in records}),
                    "items": sorted({str(r.get("item")) for r in records}),
                },
            )
            log = AuditLog(self.root, config.audit)
            try:
                log.record(action)
            finally:
                log.close()
        return count

    def events(self) -> pd.DataFrame:
        return self.store.events()
