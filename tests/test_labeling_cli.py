"""``axiom labels`` end to end on a scratch repo: generate, snapshot and diff; annotations
imported from Label Studio, then agreement, consensus and export; bad input fails in one
line."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from axiom_features.cli.app import cli
from axiom_features.labeling.queue import candidate_items
from axiom_features.pipeline import jobs
from axiom_features.synthetic.annotators import simulate_annotations
from axiom_features.synthetic.bars import generate_bars

END = datetime(2026, 6, 30, 22, 0, tzinfo=UTC)
SCHEMA = """name: regime
version: 1
kind: nominal
guideline: The regime of the highlighted bar.
classes:
  - {value: -1, name: bear, key: "1"}
  - {value: 0, name: range, key: "2"}
  - {value: 1, name: bull, key: "3"}
gold:
  - {item: "GOLD", value: 1}
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    jobs.ingest_frame(root, generate_bars(["AAA", "BBB"], 150, seed=4, end=END),
                      source="synthetic", origin="<test>")  # fmt: skip
    return root


def _run(root: Path, *args: str):  # noqa: ANN202
    return CliRunner().invoke(cli, ["--repo", str(root), "labels", *args], catch_exceptions=False)


def test_generate_snapshot_and_diff_two_label_sets(repo: Path) -> None:
    first = _run(repo, "generate", "tb", "--horizon", "10", "--no-register")
    assert first.exit_code == 0, first.output
    version_a = _run(repo, "snapshot", "tb").output.strip()
    _run(repo, "generate", "tb", "--horizon", "5", "--no-register")
    version_b = _run(repo, "snapshot", "tb").output.strip()
    assert len(version_a) == 16 and version_a != version_b
    report = json.loads(_run(repo, "diff", version_a, version_b).output)
    assert report["changed"] > 0
    assert json.loads(_run(repo, "diff", version_a, version_a).output)["changed"] == 0


def test_imported_annotations_give_agreement_consensus_and_an_export(
    repo: Path, tmp_path: Path
) -> None:
    items = candidate_items(jobs_bars(repo), every=5)[:40]
    schema = tmp_path / "regime.yaml"
    schema.write_text(SCHEMA.replace("GOLD", items[0]))
    truth = [1 if i % 3 == 0 else -1 if i % 3 == 1 else 0 for i in range(len(items))]
    sim = simulate_annotations(truth, [0.95, 0.9, 0.6], [-1, 0, 1], per_item=3, seed=0)
    sim["item"] = sim["item"].map(lambda s: items[int(s[4:])])
    names = {-1: "bear", 0: "range", 1: "bull"}
    tasks = [{"data": {"item": item}, "annotations": [
        {"completed_by": r.annotator, "result": [{"value": {"choices": [names[r.value]]}}]}
        for r in group.itertuples()]} for item, group in sim.groupby("item")]  # fmt: skip
    upload = tmp_path / "ls.json"
    upload.write_text(json.dumps(tasks))
    assert _run(repo, "import", "--schema", str(schema), str(upload)).exit_code == 0

    report = json.loads(_run(repo, "agreement", "--schema", str(schema), "--samples", "50").output)
    assert report["items"] == 40 and report["annotators"] == 3
    low, high = report["krippendorff_alpha"]["ci95"]
    assert low <= report["krippendorff_alpha"]["value"] <= high
    gold = {g["annotator"]: g["accuracy"] for g in report["gold_accuracy"]}
    assert set(gold) == {"annotator00", "annotator01", "annotator02"}

    result = _run(repo, "consensus", "--schema", str(schema), "--name", "human")
    assert result.exit_code == 0, result.output
    assert (repo / "data" / "labels" / "tables" / "human" / "labels.parquet").exists()

    out = tmp_path / "export.json"
    assert _run(repo, "export", "--schema", str(schema), str(out)).exit_code == 0
    assert len(json.loads(out.read_text())) == 40


def test_a_bad_schema_fails_in_one_line_naming_the_key(repo: Path, tmp_path: Path) -> None:
    schema = tmp_path / "bad.yaml"
    schema.write_text(SCHEMA.replace("version: 1", "version: 0"))
    result = CliRunner().invoke(
        cli, ["--repo", str(repo), "labels", "agreement", "--schema", str(schema)]
    )
    assert result.exit_code == 1
    assert "bad.yaml: version:" in result.output


def jobs_bars(root: Path):  # noqa: ANN201
    from axiom_features.labeling.workflow import read_bars

    return read_bars(root)
