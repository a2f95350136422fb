"""Label versions are content hashes; snapshots, diffs, Label Studio round trips and
schemas whose errors name the key."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from axiom_features.labeling.events import current_labels, events_frame, item_id
from axiom_features.labeling.label_studio import export_tasks, import_tasks
from axiom_features.labeling.schema import SchemaError, load_schema
from axiom_features.labeling.versions import content_hash, diff, load_version, snapshot

T = datetime(2026, 1, 5, 21, 0, tzinfo=UTC)
SCHEMA_YAML = """name: regime
version: 3
kind: ordinal
guideline: Label the regime.
classes:
  - {value: -1, name: bear, key: "1"}
  - {value: 0, name: range, key: "2"}
  - {value: 1, name: bull, key: "3"}
"""


def _labels(values: list[int]) -> pd.DataFrame:
    t0 = [T + timedelta(days=i) for i in range(len(values))]
    return pd.DataFrame({"symbol": "AAA", "t0": t0, "t1": [t + timedelta(days=5) for t in t0],
                         "label": values, "weight": 1.0})  # fmt: skip


def test_the_version_depends_on_content_only():
    labels = _labels([1, -1, 0, 1])
    shuffled = labels.sample(frac=1, random_state=3)[["label", "t1", "weight", "t0", "symbol"]]
    assert content_hash(shuffled) == content_hash(labels)
    assert content_hash(_labels([1, -1, 0, 0])) != content_hash(labels)


def test_snapshot_diff_and_a_pinned_version_read_back(tmp_path: Path) -> None:
    old = snapshot(tmp_path, _labels([1, -1, 0, 1]))
    new_labels = pd.concat([_labels([1, 1, 0]), _labels([0, 0, 0, 0, 1]).iloc[[4]]])
    new = snapshot(tmp_path, new_labels)
    assert snapshot(tmp_path, _labels([1, -1, 0, 1])) == old  # idempotent
    change = diff(load_version(tmp_path, old), load_version(tmp_path, new))
    assert len(change.added) == 1 and len(change.removed) == 1
    assert change.changed[["label_old", "label_new"]].values.tolist() == [[-1, 1]]
    with pytest.raises(ValueError, match="label version 'nope'"):
        load_version(tmp_path, "nope")


def test_label_studio_export_then_import_gives_the_same_labels(tmp_path: Path) -> None:
    schema_path = tmp_path / "regime.yaml"
    schema_path.write_text(SCHEMA_YAML)
    schema = load_schema(schema_path)
    items = [item_id("AAA", T), item_id("BBB", T)]
    labels = pd.DataFrame({"item": [items[0], items[0], items[1]], "annotator": ["a", "b", "a"],
                           "value": [1, 0, -1], "schema": schema.ref,
                           "created_at": pd.Timestamp(T)})  # fmt: skip
    out = tmp_path / "tasks.json"
    out.write_text(json.dumps(export_tasks(items, labels, schema)))
    events = import_tasks(out, schema)
    back = current_labels(events_frame([e.record() for e in events]))
    assert sorted(zip(back["item"], back["annotator"], back["value"], strict=True)) == sorted(
        zip(labels["item"], labels["annotator"], labels["value"], strict=True)
    )


def test_an_unknown_choice_in_an_import_names_the_task(tmp_path: Path) -> None:
    schema_path = tmp_path / "regime.yaml"
    schema_path.write_text(SCHEMA_YAML)
    bad = tmp_path / "bad.json"
    bad.write_text(
        '[{"data": {"item": "AAA@2026-01-05T21:00:00+00:00"}, "annotations": '
        '[{"completed_by": "a", "result": [{"value": {"choices": ["moon"]}}]}]}]'
    )
    with pytest.raises(ValueError, match=r"bad.json: task 0: annotations.0.result: choice 'moon'"):
        import_tasks(bad, load_schema(schema_path))


def test_schema_errors_name_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(SCHEMA_YAML.replace('key: "2"', 'key: "1"'))
    with pytest.raises(SchemaError, match=r"s.yaml: classes: .*duplicate key"):
        load_schema(path)
    path.write_text(SCHEMA_YAML.replace("kind: ordinal", "kind: fuzzy"))
    with pytest.raises(SchemaError, match=r"s.yaml: kind:"):
        load_schema(path)
