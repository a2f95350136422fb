"""The labeling actions behind ``axiom labels``, as plain functions of a repo and profile."""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path

import pandas as pd

from axiom_features.labeling import versions
from axiom_features.labeling.agreement import agreement_summary
from axiom_features.labeling.barriers import Barriers
from axiom_features.labeling.consensus import adjudication_queue, dawid_skene, majority_vote
from axiom_features.labeling.events import current_labels, parse_item
from axiom_features.labeling.financial import label_bars
from axiom_features.labeling.gold import gold_accuracy
from axiom_features.labeling.label_studio import export_tasks, import_tasks
from axiom_features.labeling.queue import AnnotationQueue, candidate_items, mix_gold
from axiom_features.labeling.recorded import AuditedLabelStore
from axiom_features.labeling.schema import LabelSchema
from axiom_features.labeling.server import AnnotationApp
from axiom_features.labeling.store import open_label_store
from axiom_features.lakes.bars import BarLake
from axiom_features.lineage.hooks import recorded_log
from axiom_features.paths import RepoPaths


def read_bars(root: Path, symbols: list[str] | None = None) -> pd.DataFrame:
    bars = BarLake(RepoPaths(Path(root))).read(symbols).to_pandas()
    if bars.empty:
        raise ValueError(f"{RepoPaths(Path(root)).bars}: the bar lake holds no bars")
    return bars


def generate_labels(
    root: Path,
    name: str,
    method: str,
    barriers: Barriers,
    symbols: list[str] | None = None,
    profile: str = "default",
) -> tuple[pd.DataFrame, str, Path]:
    """Programmatic labels from the bar lake, snapshotted and written as label set ``name``'s
    Feast table; returns the labels, their version and the table's path."""
    parameters = {"name": name, "method": method, "symbols": symbols, **asdict(barriers)}
    with recorded_log(Path(root)).track("labels generate", parameters=parameters) as record:
        record.inputs = ["lake:bars"]
        labels = label_bars(read_bars(root, symbols), method, barriers)
        version = versions.snapshot(root, labels, name)
        path = publish_label_set(root, profile, name, labels, method, version)
        record.outputs = [str(path)]
        record.row_counts = {name: len(labels)}
    return labels, version, path


def publish_label_set(
    root: Path, profile: str, name: str, labels: pd.DataFrame, labeler: str, version: str
) -> Path:
    """Write label set ``name``'s table (Parquet; under production also PostgreSQL)."""
    from axiom_features.labeling.feast_labels import (
        label_table,
        load_label_table,
        write_label_table,
    )

    table = label_table(labels, labeler, version)
    path = write_label_table(root, name, table)
    if profile == "production":
        url = os.environ.get("AXIOM_POSTGRES_URL", "").strip()
        if not url:
            raise ValueError("AXIOM_POSTGRES_URL: required to load labels under production")
        load_label_table(url, name, table)
    return path


def annotation_app(
    root: Path, profile: str, schema: LabelSchema, every: int = 5, gold_every: int = 4
) -> AnnotationApp:
    """The annotation page's state: candidate bars from the lake with gold items mixed in."""
    bars = read_bars(root)
    items = mix_gold(candidate_items(bars, every), [g.item for g in schema.gold], gold_every)
    per_symbol = {s: g.reset_index(drop=True) for s, g in bars.groupby("symbol")}
    store = AuditedLabelStore(open_label_store(root, profile), root)
    return AnnotationApp(schema, AnnotationQueue(items), per_symbol, store)


def human_labels(root: Path, profile: str, schema: LabelSchema) -> pd.DataFrame:
    """Each annotator's current label per item under ``schema``."""
    return current_labels(open_label_store(root, profile).events(), schema.ref)


def agreement_report(root: Path, profile: str, schema: LabelSchema, samples: int = 500) -> dict:
    labels = human_labels(root, profile, schema)
    if labels.empty:
        raise ValueError(f"{schema.ref}: no labels in the store yet")
    report = agreement_summary(labels, schema.kind, samples=samples)
    gold = gold_accuracy(labels, schema.gold_answers())
    report["gold_accuracy"] = gold.round(4).to_dict("records")
    queue = adjudication_queue(labels, schema.values)
    report["adjudication_queue"] = queue.round(4).to_dict("records")
    return report


def consensus(root: Path, profile: str, schema: LabelSchema, method: str = "dawid_skene"):  # noqa: ANN201
    """Consensus labels per item (``item, value, …``) by ``majority`` or ``dawid_skene``."""
    labels = human_labels(root, profile, schema)
    if labels.empty:
        raise ValueError(f"{schema.ref}: no labels in the store yet")
    if method == "majority":
        return majority_vote(labels, schema.values)
    if method == "dawid_skene":
        return dawid_skene(labels, schema.values)[0]
    raise ValueError(f"method: unknown '{method}'; known: majority, dawid_skene")


def consensus_label_set(result: pd.DataFrame, bars: pd.DataFrame, after: int = 10) -> pd.DataFrame:
    """Consensus labels as a label set: ``t0`` the item's bar, ``t1`` the last bar the page
    showed after it (the annotator saw up to there)."""
    rows = []
    for row in result.itertuples():
        symbol, t0 = parse_item(row.item)
        mine = bars.loc[bars["symbol"] == symbol, "event_timestamp"]
        times = pd.DatetimeIndex(pd.to_datetime(mine, utc=True)).sort_values()
        at = min(int(times.searchsorted(t0)) + after, len(times) - 1)
        rows.append((symbol, t0, times[at], int(row.value)))
    frame = pd.DataFrame(rows, columns=["symbol", "t0", "t1", "label"])
    frame["weight"] = 1.0
    return frame


def publish_consensus(
    root: Path, profile: str, name: str, result: pd.DataFrame, method: str
) -> tuple[pd.DataFrame, str]:
    """Consensus labels written as label set ``name`` (snapshotted, recorded as a run);
    returns the label set and its version."""
    parameters = {"name": name, "method": method}
    with recorded_log(Path(root)).track("labels consensus", parameters=parameters) as record:
        record.inputs = ["labels:events", "lake:bars"]
        frame = consensus_label_set(result, read_bars(root))
        version = versions.snapshot(root, frame, name)
        path = publish_label_set(root, profile, name, frame, f"consensus:{method}", version)
        record.outputs = [str(path)]
        record.row_counts = {name: len(frame)}
    return frame, version


def export_label_studio(root: Path, profile: str, schema: LabelSchema, out: Path) -> int:
    labels = human_labels(root, profile, schema)
    tasks = export_tasks(sorted(labels["item"].unique()), labels, schema)
    Path(out).write_text(json.dumps(tasks, indent=2))
    return len(tasks)


def import_label_studio(root: Path, profile: str, schema: LabelSchema, path: Path) -> int:
    parameters = {"schema": schema.ref}
    with recorded_log(Path(root)).track("labels import", parameters=parameters) as record:
        record.inputs = [str(Path(path).resolve())]
        count = open_label_store(root, profile).append(import_tasks(path, schema))
        record.outputs = ["labels:events"]
        record.row_counts = {"events": count}
    return count


def label_set(root: Path, name: str) -> pd.DataFrame:
    """Label set ``name`` from its Feast table, as ``symbol, t0, t1, label, weight``."""
    from axiom_features.labeling.feast_labels import label_table_dir

    path = label_table_dir(root, name) / "labels.parquet"
    if not path.exists():
        raise ValueError(f"label set '{name}': no table at {path}")
    table = pd.read_parquet(path)
    return pd.DataFrame({"symbol": table["symbol"], "t0": table["label_t0"],
                         "t1": table["event_timestamp"], "label": table["label"],
                         "weight": table["label_weight"]})  # fmt: skip
