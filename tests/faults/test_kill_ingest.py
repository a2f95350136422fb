"""``kill -9`` of an ingest before and after its import wrote the lake: the run is reported
interrupted, the transform refuses to build on it, and a rerun of the ingest gives a lake
identical to an uninterrupted ingest of the same bars."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from axiom_features.pipeline.runs import UpstreamInterrupted
from tests.faults.conftest import VIEWS, health, lake_snapshot, problems, same_rows
from tests.run_children import killed, processes_mentioning, run_child

NEW_SYMBOL = ["DMX"]

KILLED_INGEST = """
import os, signal, sys
from datetime import datetime
from pathlib import Path
from axiom_features.pipeline import jobs
from axiom_features.synthetic.bars import generate_bars

root, point = Path(sys.argv[1]), sys.argv[2]
end = datetime.fromisoformat(sys.argv[3])
original = jobs.import_frame

def import_then_die(*args, **kwargs):
    if point == "before_import":
        os.kill(os.getpid(), signal.SIGKILL)
    original(*args, **kwargs)
    os.kill(os.getpid(), signal.SIGKILL)

jobs.import_frame = import_then_die
jobs.ingest_frame(root, generate_bars(["DMX"], 120, seed=12, end=end),
                  source="synthetic", origin="<faults>")
"""


def _ingest(root: Path) -> None:
    from axiom_features.pipeline import jobs
    from axiom_features.synthetic.bars import generate_bars
    from tests.faults.conftest import END

    bars = generate_bars(NEW_SYMBOL, 120, seed=12, end=END)
    jobs.ingest_frame(root, bars, source="synthetic", origin="<faults>")


@pytest.mark.parametrize("point", ["before_import", "after_import"])
def test_a_killed_ingest_is_reported_refused_downstream_and_a_rerun_converges(
    repo: Path, tmp_path: Path, point: str
) -> None:
    from axiom_features.pipeline import jobs
    from tests.faults.conftest import END

    reference = tmp_path / "reference"
    shutil.copytree(repo, reference)
    _ingest(reference)

    child = run_child(KILLED_INGEST, str(repo), point, END.isoformat())
    assert killed(child), child.stderr[-2000:]
    assert processes_mentioning(str(repo)) == []

    report = health(repo)
    assert report.exit_code == 1  # named, and never a false critical
    status, detail = problems(report)[("runs", "ingest")]
    assert status == "warn" and "interrupted" in detail
    with pytest.raises(UpstreamInterrupted, match="rerun ingest to resume it"):
        jobs.transform(repo, views=VIEWS)

    _ingest(repo)
    assert same_rows(lake_snapshot(repo), lake_snapshot(reference))
    assert jobs.transform(repo, views=VIEWS).symbols == 4
