"""``axiom replay`` of a transform run: identical when nothing changed, the changed view
named (and only it) after a transform parameter changed, refused when an input changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from axiom_features.backfill.replay import NotReplayable, replay
from axiom_features.pipeline import jobs
from tests.test_backfill_replay import SYMBOLS, fill_lake, replay_with_max_close_period_31
from tests.test_transform_job import write_bars
from tests.test_transforms import synthetic_bars

VIEWS = ["ta_math", "ta_momentum", "risk"]


def test_replay_of_an_unchanged_transform_run_is_identical(tmp_path: Path) -> None:
    fill_lake(tmp_path)
    result = jobs.transform(tmp_path, views=VIEWS)
    (run,) = [r for r in jobs.RunLog(tmp_path / "data" / "runs").list() if r.command == "transform"]
    assert set(run.parameters["output_hashes"]) == set(VIEWS)
    assert all(set(v) == set(SYMBOLS) for v in run.parameters["output_hashes"].values())
    assert result.rows_per_view
    report = replay(tmp_path, run.run_id)
    assert report.identical, report.summary()
    assert report.summary() == f"replay of {run.run_id}: identical"


def test_replay_of_a_transform_after_a_parameter_changed_names_only_that_view(
    tmp_path: Path,
) -> None:
    root = tmp_path / "repo"
    fill_lake(root)
    jobs.transform(root, views=VIEWS)
    (run,) = [r for r in jobs.RunLog(root / "data" / "runs").list() if r.command == "transform"]
    done = replay_with_max_close_period_31(tmp_path, root, run.run_id)
    assert done.returncode == 1, done.stderr
    line = done.stdout.strip()
    assert line.startswith(f"replay of {run.run_id}: differs: ta_math: "), line
    assert "ta_momentum" not in line and "risk" not in line
    assert f"in {len(SYMBOLS)} symbol(s)" in line


def test_replay_of_a_transform_refuses_when_an_input_changed(tmp_path: Path) -> None:
    repo = fill_lake(tmp_path)
    jobs.transform(tmp_path, views=["ta_momentum"])
    (run,) = [r for r in jobs.RunLog(tmp_path / "data" / "runs").list() if r.command == "transform"]
    write_bars(repo, "AAA", synthetic_bars(7))
    with pytest.raises(NotReplayable, match="data/lake/bars/AAA.parquet"):
        replay(tmp_path, run.run_id)
