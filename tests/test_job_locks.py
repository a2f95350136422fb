"""Concurrent runs are safe: a job holds a lock per repo and view, and a second job on the
same view waits for it or refuses with one line naming the holder, whether it was started
from Python or from the CLI."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from axiom_features.cli.app import cli
from axiom_features.pipeline import jobs
from axiom_features.pipeline.guards import locks_dir
from axiom_features.resilience.locks import JobBusy, job_locks
from axiom_features.synthetic.bars import generate_bars
from tests.run_children import start_child

HOLD_VIEW = """
import sys, time
from pathlib import Path
from axiom_features.resilience.locks import job_locks
with job_locks(Path(sys.argv[1]), ["view-ta_cycle"], holder="transform"):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


@pytest.fixture
def lake(feature_repo: Path) -> Path:
    jobs.ingest_frame(
        feature_repo, generate_bars(["AXM"], 40, seed=3), source="synthetic", origin="<test>"
    )
    return feature_repo


def hold(root: Path, seconds: float):  # noqa: ANN201 - subprocess.Popen
    child = start_child(HOLD_VIEW, str(locks_dir(root)), str(seconds))
    assert child.stdout is not None and child.stdout.readline().strip() == "held"
    return child


def test_a_second_job_from_python_refuses_a_busy_view(lake: Path) -> None:
    child = hold(lake, 30)
    try:
        busy = rf"view-ta_cycle is locked by transform \(pid {child.pid}"
        with pytest.raises(JobBusy, match=busy):
            jobs.transform(lake, views=["ta_cycle"])
    finally:
        child.kill()
        child.wait()
    assert jobs.transform(lake, views=["ta_cycle"]).rows_per_view == {"ta_cycle": 40}


def test_a_second_job_from_python_waits_for_the_first_to_end(lake: Path) -> None:
    child = hold(lake, 1.5)
    started = time.monotonic()
    result = jobs.transform(lake, views=["ta_cycle"], wait=60)
    assert child.wait() == 0
    assert result.rows_per_view == {"ta_cycle": 40}
    assert time.monotonic() - started >= 1.0


def test_a_second_job_from_the_cli_refuses_in_one_line(lake: Path) -> None:
    child = hold(lake, 30)
    try:
        result = CliRunner().invoke(
            cli, ["--repo", str(lake), "transform", "--views", "ta_cycle", "--workers", "1"]
        )
    finally:
        child.kill()
        child.wait()
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: transform refused in {lake}: view-ta_cycle is locked")


def test_locks_of_a_killed_holder_are_released(tmp_path: Path) -> None:
    child = hold(tmp_path, 30)
    child.kill()
    child.wait()
    with job_locks(locks_dir(tmp_path), ["view-ta_cycle"], holder="transform"):
        pass
