"""Two jobs at once on the same repo and views: started from the CLI (two transforms) and
from Python (two materializations). Each waits for the other's lock, both succeed, and
nothing the first wrote is lost: day profiles, offline tables, registry intervals."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from tests.faults.conftest import END, VIEWS, health, offline_snapshot, problems, same_rows
from tests.run_children import processes_mentioning, start_child

MATERIALIZE = """
import sys
from datetime import datetime, timedelta
from pathlib import Path
from axiom_features.pipeline import jobs

root, view, end = Path(sys.argv[1]), sys.argv[2], datetime.fromisoformat(sys.argv[3])
jobs.materialize(root, end - timedelta(days=30), end, views=[view], wait=300)
"""


def _axiom(root: Path, *args: str) -> subprocess.Popen[str]:
    axiom = Path(sys.executable).with_name("axiom")
    return subprocess.Popen(
        [str(axiom), "--repo", str(root), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )


def _day_profiles(root: Path) -> dict[str, set]:
    from monitoring.profile_store import ProfileStore

    store = ProfileStore(root / "data" / "profiles")
    return {view: set(store.day_index(view)) for view in VIEWS}


def test_two_transforms_from_the_cli_take_turns_and_lose_nothing(repo: Path, built: Path) -> None:
    args = ["transform", "--views", ",".join(VIEWS), "--workers", "1", "--wait", "300"]
    first, second = _axiom(repo, *args), _axiom(repo, *args)
    outcomes = [p.communicate(timeout=600) for p in (first, second)]
    assert [first.returncode, second.returncode] == [0, 0], [err for _, err in outcomes]

    assert _day_profiles(repo) == _day_profiles(built)
    after, expected = offline_snapshot(repo), offline_snapshot(built)
    assert all(same_rows(after[v], expected[v]) for v in VIEWS)
    assert processes_mentioning(str(repo)) == []


def test_two_materializations_from_python_take_turns_and_keep_both_intervals(repo: Path) -> None:
    from axiom_features.feature_store import open_store

    ends = {VIEWS[0]: END - timedelta(days=1), VIEWS[1]: END}
    children = [start_child(MATERIALIZE, str(repo), v, ends[v].isoformat()) for v in VIEWS]
    for child in children:
        _, err = child.communicate(timeout=600)
        assert child.returncode == 0, err[-2000:]

    store = open_store(repo)
    for view, end in ends.items():
        intervals = store.get_feature_view(view).materialization_intervals
        assert end in [stop for _, stop in intervals], view
    assert health(repo).exit_code == 0, problems(health(repo))
    assert processes_mentioning(str(repo)) == []
