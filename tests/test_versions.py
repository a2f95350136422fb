"""Feature view versions: a changed parameter is a new version; the old one stays readable."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from axiom_features.ingest import import_frame
from axiom_features.paths import RepoPaths
from axiom_features.pipeline.transform_job import run_transform_job
from axiom_features.pipeline.versions import (
    archive_if_changed,
    definition,
    diff_against_stored,
    known_versions,
    load_snapshot,
    read_version,
    stored_version,
)
from axiom_features.synthetic.bars import generate_bars
from transforms.catalogue import catalogue
from transforms.specs import ViewSpec


def _with_sma_window(view: ViewSpec, window: int) -> ViewSpec:
    features = tuple(
        dataclasses.replace(f, parameters={"timeperiod": window}) if f.name == "sma_20" else f
        for f in view.features
    )
    return dataclasses.replace(view, features=features)


@pytest.fixture
def repo(tmp_path: Path) -> RepoPaths:
    repo = RepoPaths(tmp_path)
    import_frame(generate_bars(["AXM", "BLQ"], 120, seed=2), repo, run_id="r", source="synthetic")
    run_transform_job(repo, views=["ta_overlap"])
    return repo


def test_the_job_records_the_definition_of_what_it_wrote(repo: RepoPaths) -> None:
    view = catalogue().view("ta_overlap")
    assert stored_version(repo, "ta_overlap") == view.version
    assert known_versions(repo, "ta_overlap") == [view.version]
    assert load_snapshot(repo, "ta_overlap", view.version) == json.loads(
        json.dumps(definition(view), default=str)
    )
    assert diff_against_stored(repo, view).unchanged


def test_a_changed_parameter_is_a_new_version_and_the_old_data_is_archived(repo) -> None:
    current = catalogue().view("ta_overlap")
    changed = _with_sma_window(current, 21)
    assert changed.version != current.version
    before = read_version(repo, "ta_overlap", current.version)

    diff = diff_against_stored(repo, changed)
    assert diff.old_version == current.version and diff.new_version == changed.version
    assert diff.changed == {"sma_20": {"parameters": ({"timeperiod": 20}, {"timeperiod": 21})}}

    moved = archive_if_changed(repo, changed)
    assert moved is not None and moved.is_dir()
    assert stored_version(repo, "ta_overlap") is None
    after = read_version(repo, "ta_overlap", current.version)
    pd.testing.assert_frame_equal(after.to_pandas(), before.to_pandas())


def test_rerunning_the_same_version_archives_nothing(repo: RepoPaths) -> None:
    result = run_transform_job(repo, views=["ta_overlap"])
    assert result.archived == {}
    assert known_versions(repo, "ta_overlap") == [catalogue().view("ta_overlap").version]


def test_features_diff_cli_reports_json(repo: RepoPaths) -> None:
    axiom = Path(sys.executable).with_name("axiom")
    done = subprocess.run(
        [str(axiom), "--repo", str(repo.root), "features", "diff", "ta_overlap", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    [diff] = json.loads(done.stdout)
    assert diff["view"] == "ta_overlap" and diff["changed"] == {}
