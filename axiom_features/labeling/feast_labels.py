"""Labels in Feast: a label table per label set, registered as a Feast ``LabelView`` whose
event time is each label's end ``t1``, so a point-in-time join never sees a label before it
is knowable.

The table lives at ``data/labels/tables/<name>/labels.parquet`` and, under a PostgreSQL
offline store, also in the table ``labels_<name>`` (one row per label):
``label_item`` (``<symbol>@<t0>``, the view's entity), ``symbol``, ``event_timestamp`` (=
``t1``), ``created_timestamp``, ``label_t0``, ``label``, ``label_weight``, ``labeler``,
``label_version``.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
from feast import Entity, FeatureStore, Field, FileSource
from feast.infra.offline_stores.contrib.postgres_offline_store.postgres_source import (
    PostgreSQLSource,
)
from feast.labeling.label_view import LabelView
from feast.types import Float64, Int64, String, UnixTimestamp
from feast.value_type import ValueType

from axiom_features.labeling.events import item_id

LABEL_ENTITY = Entity(
    name="label_item",
    join_keys=["label_item"],
    value_type=ValueType.STRING,
    description="One labelled event: <symbol>@<t0 ISO time>.",
)
LABEL_FEATURES = ("label", "label_weight", "label_t0", "labeler", "label_version")


TABLES = "data/labels/tables"


def label_table_dir(root: Path, name: str) -> Path:
    return Path(root) / TABLES / name


def label_views_in(root: Path) -> dict[str, LabelView]:
    """A view for every label table under ``root`` (what ``feature_repo/labels.py`` registers),
    reading Parquet or, with ``AXIOM_OFFLINE=postgres``, the table ``labels_<name>``."""
    folder = Path(root) / TABLES
    names = sorted(p.parent.name for p in folder.glob("*/labels.parquet"))
    return {name: label_view(name) for name in names}


def label_table(
    labels: pd.DataFrame, labeler: str, version: str, created: datetime | None = None
) -> pd.DataFrame:
    """The Feast-facing table of ``labels`` (``symbol, t0, t1, label, weight``)."""
    created = created or datetime.now(UTC)
    t0 = pd.to_datetime(labels["t0"], utc=True)
    return pd.DataFrame(
        {
            "label_item": [item_id(s, t) for s, t in zip(labels["symbol"], t0, strict=True)],
            "symbol": labels["symbol"].astype(str).to_numpy(),
            "event_timestamp": pd.to_datetime(labels["t1"], utc=True).astype("datetime64[us, UTC]"),
            "created_timestamp": pd.Timestamp(created).tz_convert("UTC"),
            "label_t0": t0.astype("datetime64[us, UTC]"),
            "label": labels["label"].astype("int64").to_numpy(),
            "label_weight": labels.get("weight", pd.Series(1.0, index=labels.index))
            .astype("float64")
            .to_numpy(),
            "labeler": labeler,
            "label_version": version,
        }
    ).assign(created_timestamp=lambda f: f["created_timestamp"].astype("datetime64[us, UTC]"))


def _offline_kind() -> str:
    return os.environ.get("AXIOM_OFFLINE", "file").strip().lower() or "file"


def postgres_table(name: str) -> str:
    return f"labels_{name}"


def load_label_table(url: str, name: str, table: pd.DataFrame) -> int:
    """Replace the PostgreSQL table ``labels_<name>`` by ``table`` in one transaction."""
    import psycopg
    import pyarrow as pa

    from axiom_features.offline.postgres_store import connection_url
    from axiom_features.offline.postgres_tables import copy_rows, ensure_table

    rows = pa.Table.from_pandas(table, preserve_index=False)
    target = postgres_table(name)
    with psycopg.connect(connection_url(url)) as conn:
        ensure_table(conn, target, rows.schema, key="label_item")
        with conn.transaction():
            conn.execute(f'DELETE FROM "{target}"')
            return copy_rows(conn, target, rows)


def write_label_table(root: Path, name: str, table: pd.DataFrame) -> Path:
    folder = label_table_dir(root, name)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "labels.parquet"
    tmp = path.with_suffix(".tmp")
    table.to_parquet(tmp, index=False)
    tmp.replace(path)
    return path


def label_view(name: str) -> LabelView:
    """The ``LabelView`` over label set ``name``'s table, timestamped by ``t1`` (the path is
    relative to the repo root, as Feast resolves it)."""
    common = dict(
        name=f"{name}_labels_source",
        timestamp_field="event_timestamp",
        created_timestamp_column="created_timestamp",
    )
    if _offline_kind() == "postgres":
        source = PostgreSQLSource(table=postgres_table(name), **common)
    else:
        source = FileSource(path=f"{TABLES}/{name}", **common)
    return LabelView(
        name=name,
        source=source,
        entities=[LABEL_ENTITY],
        schema=[
            Field(name="label_item", dtype=String),
            Field(name="label", dtype=Int64),
            Field(name="label_weight", dtype=Float64),
            Field(name="label_t0", dtype=UnixTimestamp),
            Field(name="labeler", dtype=String),
            Field(name="label_version", dtype=String),
        ],
        ttl=timedelta(0),
        online=False,
        labeler_field="labeler",
        description=f"Labels '{name}', visible from each label's end time t1.",
        tags={"owner": "axiom-features", "kind": "labels"},
    )


def register_label_view(store: FeatureStore, name: str) -> LabelView:
    """Apply label set ``name``'s view, reading where ``store``'s offline store reads."""
    from axiom_features.feature_store import offline_kind_of

    with offline_kind_of(store):
        view = label_view(name)
    store.apply([LABEL_ENTITY, view])
    return view


def label_refs(name: str) -> list[str]:
    return [f"{name}:{f}" for f in LABEL_FEATURES]
