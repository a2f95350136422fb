"""``kill -9`` of a materialization before its first online write and after its first view:
health names the interrupted run and the views Feast will not serve (with the command that
clears them), and a rerun clears the state and gives the build's online values."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.faults.conftest import END, VIEWS, health, online_snapshot, problems
from tests.run_children import killed, processes_mentioning, run_child

KILLED_MATERIALIZE = """
import os, signal, sys
from datetime import datetime, timedelta
from pathlib import Path
from axiom_features.materialize.fast_engine import FastComputeEngine
from axiom_features.pipeline import jobs

root, kill_at = Path(sys.argv[1]), int(sys.argv[2])
end, views = datetime.fromisoformat(sys.argv[3]), sys.argv[4].split(",")
original = FastComputeEngine.write_online
calls = 0

def write_or_die(self, view, table):
    global calls
    calls += 1
    if calls == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)
    return original(self, view, table)

FastComputeEngine.write_online = write_or_die
jobs.materialize(root, end - timedelta(days=400), end, views=views)
"""


@pytest.mark.parametrize("kill_at", [1, 2], ids=["before_first_write", "after_first_view"])
def test_a_killed_materialize_is_reported_and_a_rerun_converges(
    repo: Path, built: Path, kill_at: int
) -> None:
    from datetime import timedelta

    from axiom_features.pipeline import jobs

    expected = online_snapshot(built)
    child = run_child(KILLED_MATERIALIZE, str(repo), str(kill_at), END.isoformat(), ",".join(VIEWS))
    assert killed(child), child.stderr[-2000:]
    assert processes_mentioning(str(repo)) == []

    report = health(repo)
    found = problems(report)
    status, detail = found[("runs", "materialize")]
    assert status == "warn" and "interrupted" in detail
    stuck = [v for v in VIEWS if ("lifecycle", v) in found]
    assert stuck, "the view being written was left MATERIALIZING"
    for view in stuck:
        status, detail = found[("lifecycle", view)]
        assert status == "critical"
        assert f"run `axiom materialize --views {','.join(stuck)}`" in detail
    criticals = {key for key, (status, _) in found.items() if status == "critical"}
    assert criticals <= {(kind, v) for kind in ("lifecycle", "freshness") for v in VIEWS}

    result = jobs.materialize(repo, END - timedelta(days=400), END, views=VIEWS)
    assert result.cleared_states == stuck
    assert online_snapshot(repo) == expected
    assert health(repo).exit_code == 0, problems(health(repo))
