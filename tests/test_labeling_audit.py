"""Label changes leave the trail every job leaves: generating a label set, importing
annotations and publishing a consensus are runs with OpenLineage START/COMPLETE events and
audit entries; every answer submitted on the annotation page is an audit entry naming its
annotator and a hash of the events; the log still verifies."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest

from axiom_features.audit.log import AuditLog
from axiom_features.labeling.barriers import Barriers
from axiom_features.labeling.recorded import events_digest
from axiom_features.labeling.schema import load_schema
from axiom_features.labeling.workflow import (
    annotation_app,
    consensus,
    generate_labels,
    import_label_studio,
    publish_consensus,
)
from axiom_features.pipeline import jobs
from axiom_features.synthetic.bars import generate_bars
from tests.openlineage_schema import RUN_EVENT

END = datetime(2026, 6, 30, 22, 0, tzinfo=UTC)
SCHEMA = """name: regime
version: 1
kind: nominal
guideline: The regime of the highlighted bar.
classes:
  - {value: -1, name: bear, key: "1"}
  - {value: 1, name: bull, key: "3"}
gold: []
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    jobs.ingest_frame(root, generate_bars(["AAA", "BBB"], 120, seed=4, end=END),
                      source="synthetic", origin="<test>")  # fmt: skip
    return root


def _audited(root: Path) -> list[dict]:
    log = AuditLog(root)
    try:
        return log.entries()
    finally:
        log.close()


def _events(root: Path, job: str) -> list[dict]:
    path = root / "data" / "lineage" / "events.jsonl"
    events = [json.loads(line) for line in path.read_text().splitlines()]
    return [e for e in events if e["job"]["name"].endswith(job.replace(" ", "_"))]


def test_generating_a_label_set_is_a_run_with_lineage_and_an_audit_entry(repo: Path) -> None:
    labels, _, path = generate_labels(repo, "tb", "triple_barrier", Barriers(1.0, 1.0, 5))

    entry = [e for e in _audited(repo) if e["command"] == "labels generate"]
    assert len(entry) == 1
    assert entry[0]["details"]["row_counts"] == {"tb": len(labels)}
    assert entry[0]["outputs"][0]["name"] == str(path) and entry[0]["outputs"][0]["sha256"]
    events = _events(repo, "labels generate")
    assert [e["eventType"] for e in events] == ["START", "COMPLETE"], [
        e["job"]["name"] for e in events
    ]
    validator = jsonschema.Draft202012Validator(RUN_EVENT)
    for event in events:
        validator.validate(event)


def test_every_answer_on_the_annotation_page_is_an_audit_entry(
    repo: Path, tmp_path: Path
) -> None:
    schema_file = tmp_path / "regime.yaml"
    schema_file.write_text(SCHEMA)
    app = annotation_app(repo, "default", load_schema(schema_file), every=10, gold_every=100)
    first, second = app.queue.items[:2]

    app.answer({"annotator": "ann", "item": first, "choice": "1"})
    app.answer({"annotator": "bob", "item": second, "skip": "1", "comment": "gap"})

    entries = [e for e in _audited(repo) if e["command"] == "labels annotate"]
    assert [e["details"]["annotators"] for e in entries] == [["ann"], ["bob"]]
    assert [e["details"]["events"] for e in entries] == [1, 2]
    stored = app.store.events()
    bob = [json.loads(line) for line in
           (repo / "data" / "labels" / "events.jsonl").read_text().splitlines()][1:]  # fmt: skip
    assert len(stored) == 3
    assert entries[1]["outputs"][0]["sha256"] == events_digest(bob)
    log = AuditLog(repo)
    try:
        assert log.verify().ok
    finally:
        log.close()


def test_imported_annotations_and_their_consensus_are_recorded(
    repo: Path, tmp_path: Path
) -> None:
    schema_file = tmp_path / "regime.yaml"
    schema_file.write_text(SCHEMA)
    schema = load_schema(schema_file)
    items = annotation_app(repo, "default", schema, every=10, gold_every=100).queue.items[:4]
    tasks = [{"data": {"item": item}, "annotations": [
        {"completed_by": who, "result": [{"value": {"choices": ["bull"]}}]}
        for who in ("ann", "bob")]} for item in items]  # fmt: skip
    upload = tmp_path / "ls.json"
    upload.write_text(json.dumps(tasks))

    assert import_label_studio(repo, "default", schema, upload) == 8
    frame, _ = publish_consensus(
        repo, "default", "human", consensus(repo, "default", schema, "majority"), "majority"
    )

    commands = [e["command"] for e in _audited(repo)]
    assert commands[-2:] == ["labels import", "labels consensus"]
    imported = [e for e in _audited(repo) if e["command"] == "labels import"][0]
    assert imported["inputs"][0]["name"] == str(upload.resolve())
    assert imported["details"]["row_counts"] == {"events": 8}
    assert len(frame) == 4
