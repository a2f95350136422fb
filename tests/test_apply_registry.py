"""``axiom apply`` as Feast users expect: re-applying unchanged definitions changes nothing,
from the first re-apply on, and an apply never overlaps another job writing the registry.

Feast stamps a source with the time of its first registration and copies the stamp into the
registered views; once a materialization has changed a view's intervals, Feast compares the
view's whole specification and the stamp made every view look updated once. An apply holds
the registry's job lock, as a materialization does, so the two never interleave their
read-modify-write of the registry.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from axiom_features.cli.app import cli
from axiom_features.feature_store import open_store
from axiom_features.pipeline import jobs
from axiom_features.pipeline.guards import REGISTRY_LOCK, locks_dir
from axiom_features.resilience.locks import JobBusy
from tests.online_fixtures import END, VIEWS, write_offline_tables
from tests.run_children import start_child
from tests.test_feast_cli import _second_apply_plan

AXIOM = str(Path(sys.executable).with_name("axiom"))

HOLD_REGISTRY = f"""
import sys, time
from pathlib import Path
from axiom_features.resilience.locks import job_locks
with job_locks(Path(sys.argv[1]), [{REGISTRY_LOCK!r}], holder="materialize"):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


@pytest.fixture
def repo(feature_repo: Path) -> Path:
    cwd = os.getcwd()
    write_offline_tables(feature_repo)
    yield feature_repo
    os.chdir(cwd)


def test_the_first_re_apply_after_a_materialization_reports_no_changes(repo: Path) -> None:
    jobs.apply(repo)  # the first apply of a fresh repo
    store = open_store(repo)
    store.materialize(END.replace(year=2025), END, feature_views=list(VIEWS))
    report = _second_apply_plan(store)
    assert "Updated feature view" not in report
    assert "No changes to registry" in report


def test_apply_refuses_while_another_job_writes_the_registry(repo: Path) -> None:
    holder = start_child(HOLD_REGISTRY, str(locks_dir(repo)), "60")
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(JobBusy, match=rf"registry is locked by materialize \(pid {holder.pid}"):
            jobs.apply(repo)
        answer = CliRunner().invoke(cli, ["--repo", str(repo), "apply"])
        assert answer.exit_code != 0
        line = answer.output.strip()
        assert "\n" not in line and "registry is locked by materialize" in line
    finally:
        holder.kill()
        holder.wait()
    assert "ta_volume" in jobs.apply(repo)


def test_two_applies_at_once_both_finish_and_leave_one_whole_registry(repo: Path) -> None:
    started = [
        subprocess.Popen(
            [AXIOM, "--repo", str(repo), "apply", "--wait", "600"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=900) for p in started]
    assert [p.returncode for p in started] == [0, 0], [err[-2000:] for _, err in outputs]
    store = open_store(repo)
    assert {v.name for v in store.list_feature_views()} >= set(VIEWS)
    assert "No changes to registry" in _second_apply_plan(store)
