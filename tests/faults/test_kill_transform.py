"""``kill -9`` of a transform: at its start, and after its first symbol while two workers
are busy. The run is reported interrupted, no worker survives its parent, and a rerun gives
offline tables identical to the uninterrupted build."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.faults.conftest import VIEWS, health, offline_snapshot, problems, same_rows
from tests.run_children import children_gone, killed, processes_mentioning, run_child

KILLED_TRANSFORM = """
import json, multiprocessing, os, signal, sys
from pathlib import Path
from axiom_features.pipeline import jobs

root, point, views = Path(sys.argv[1]), sys.argv[2], sys.argv[3].split(",")

def die():
    print(json.dumps([p.pid for p in multiprocessing.active_children()]), flush=True)
    os.kill(os.getpid(), signal.SIGKILL)

if point == "start":
    jobs.run_transform_job = lambda *args, **kwargs: die()

def progress(done, total):
    if point == "after_first_symbol" and done >= 1:
        die()

jobs.transform(root, views=views, workers=2, progress=progress)
"""


@pytest.mark.parametrize("point", ["start", "after_first_symbol"])
def test_a_killed_transform_is_reported_leaves_no_worker_and_a_rerun_converges(
    repo: Path, built: Path, point: str
) -> None:
    from axiom_features.pipeline import jobs

    child = run_child(KILLED_TRANSFORM, str(repo), point, ",".join(VIEWS))
    assert killed(child), child.stderr[-2000:]
    workers = json.loads(child.stdout.strip().splitlines()[-1])
    if point == "after_first_symbol":
        assert workers, "the transform had worker processes when it was killed"
    assert children_gone(workers), "a worker outlived the killed transform"
    assert processes_mentioning(str(repo)) == []

    report = health(repo)
    found = problems(report)
    assert report.exit_code == 1  # named, and never a false critical
    status, detail = found[("runs", "transform")]
    assert status == "warn" and "interrupted" in detail and "gone" in detail

    jobs.transform(repo, views=VIEWS, workers=2)
    after = offline_snapshot(repo)
    expected = offline_snapshot(built)
    for view in VIEWS:
        assert same_rows(after[view], expected[view]), view
    assert health(repo).exit_code == 0, problems(health(repo))
