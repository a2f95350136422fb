"""The label store: append-only annotation events, as JSON lines under the default profile
and a PostgreSQL table under production (both behind one small interface)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

import pandas as pd

from axiom_features.labeling.events import EVENT_COLUMNS, AnnotationEvent, events_frame

POSTGRES_TABLE = "label_events"


class LabelStore(Protocol):
    def append(self, events: Iterable[AnnotationEvent]) -> int: ...

    def events(self) -> pd.DataFrame: ...


class JsonlLabelStore:
    """Events as one JSON object per line in ``path``; appends are flushed and fsynced."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def append(self, events: Iterable[AnnotationEvent]) -> int:
        lines = [json.dumps(e.record()) + "\n" for e in events]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a") as handle:
            handle.writelines(lines)
            handle.flush()
            os.fsync(handle.fileno())
        return len(lines)

    def events(self) -> pd.DataFrame:
        if not self.path.exists():
            return events_frame([])
        records = []
        with self.path.open() as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    records.append(json.loads(line))
                except ValueError as exc:
                    raise ValueError(f"{self.path}: line {number}: not JSON: {exc}") from exc
        return events_frame(records)


class PostgresLabelStore:
    """Events as rows of ``label_events``; the table is created on first use."""

    def __init__(self, url: str, table: str = POSTGRES_TABLE) -> None:
        self.url = url
        self.table = table
        self._ready = False

    def _connect(self):  # noqa: ANN202 - psycopg.Connection
        import psycopg

        conn = psycopg.connect(self.url, autocommit=False)
        if not self._ready:
            with conn.cursor() as cur:
                cur.execute(
                    f"CREATE TABLE IF NOT EXISTS {self.table} ("
                    " seq BIGSERIAL PRIMARY KEY, event_id TEXT UNIQUE NOT NULL,"
                    " item TEXT NOT NULL, annotator TEXT NOT NULL, action TEXT NOT NULL,"
                    " value BIGINT, comment TEXT NOT NULL DEFAULT '', schema TEXT NOT NULL,"
                    " created_at TIMESTAMPTZ NOT NULL)"
                )
            conn.commit()
            self._ready = True
        return conn

    def append(self, events: Iterable[AnnotationEvent]) -> int:
        rows = [tuple(e.record()[c] for c in EVENT_COLUMNS) for e in events]
        with self._connect() as conn, conn.cursor() as cur:
            cur.executemany(
                f"INSERT INTO {self.table} ({', '.join(EVENT_COLUMNS)})"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                rows,
            )
        return len(rows)

    def events(self) -> pd.DataFrame:
        with self._connect() as conn, conn.cursor() as cur:
            cur.execute(f"SELECT {', '.join(EVENT_COLUMNS)} FROM {self.table} ORDER BY seq")
            records = [dict(zip(EVENT_COLUMNS, row, strict=True)) for row in cur.fetchall()]
        for record in records:
            record["created_at"] = record["created_at"].isoformat()
        return events_frame(records)


def open_label_store(root: Path, profile: str = "default") -> LabelStore:
    """The label store of the repo at ``root`` under ``profile``."""
    if profile == "production":
        url = os.environ.get("AXIOM_POSTGRES_URL", "").strip()
        if not url:
            raise ValueError("AXIOM_POSTGRES_URL: required by the production label store")
        return PostgresLabelStore(url)
    return JsonlLabelStore(Path(root) / "data" / "labels" / "events.jsonl")
