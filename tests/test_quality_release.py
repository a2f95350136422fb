"""Release: held rows are re-validated (after a fix) and admitted; counts always add up."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from axiom_features.ingest import import_bars
from axiom_features.lakes.bars import BarLake
from axiom_features.paths import RepoPaths
from axiom_features.pipeline import jobs
from axiom_features.quality import read_quarantine
from axiom_features.quality.release import release_quarantine
from axiom_features.quality.release_files import export_held, read_fixes

FAULTY = Path(__file__).parent / "data" / "bars_with_faults.csv"


@pytest.fixture
def repo(tmp_path: Path) -> RepoPaths:
    return RepoPaths(tmp_path / "repo")


def test_releasing_without_a_fix_keeps_every_row_held(repo):
    import_bars(FAULTY, repo, run_id="r1")

    result = release_quarantine(repo, release_id="rel")

    assert (result.considered, result.released, result.still_held) == (3, 0, 3)
    assert len(read_quarantine(repo)) == 3
    assert BarLake(repo).read().num_rows == 5


def test_a_fixed_row_is_released_into_the_lake_and_leaves_the_quarantine(repo, tmp_path):
    import_bars(FAULTY, repo, run_id="r1")
    exported = export_held(read_quarantine(repo), tmp_path / "held.csv")
    fixes = read_fixes(exported)
    fixes = fixes[fixes["source_line"] == 7].assign(close=20.4)  # the missing close
    fixes.to_csv(tmp_path / "fixes.csv", index=False)

    result = jobs.release_quarantine(repo.root, fixes=tmp_path / "fixes.csv")

    assert (result.considered, result.released, result.still_held, result.new_rows) == (1, 1, 0, 1)
    held = read_quarantine(repo)
    assert sorted(held["source_line"]) == [6, 8]
    stored = BarLake(repo).read(["BBB"]).to_pandas()
    assert stored["close"].tolist() == [20.5, 20.4, 20.6]
    released = pd.read_parquet(next((repo.data / "quality" / "released").glob("*.parquet")))
    assert released["source_line"].tolist() == [7]


def test_a_fix_that_still_fails_stays_held_with_its_new_reasons(repo, tmp_path):
    import_bars(FAULTY, repo, run_id="r1")
    held = read_quarantine(repo)
    fixes = held[held["source_line"] == 6][["run_id", "source_file", "source_line"]].assign(
        high=19.0, low=21.5
    )

    result = release_quarantine(repo, release_id="rel", fixes=fixes)

    assert (result.considered, result.released, result.still_held) == (1, 0, 1)
    row = read_quarantine(repo).set_index("source_line").loc[6]
    assert row["failed_rules"] == "high_is_max;low_is_min" and row["high"] == 19.0


def test_a_held_duplicate_stays_held_because_the_lake_has_its_key(repo):
    import_bars(FAULTY, repo, run_id="r1")

    release_quarantine(repo, release_id="rel", run_id="r1")

    held = read_quarantine(repo).set_index("source_line")
    assert held.loc[8, "failed_rules"] == "unique_key"


def test_releasing_one_run_leaves_other_runs_untouched(repo, tmp_path):
    import_bars(FAULTY, repo, run_id="r1")
    other = tmp_path / "other.csv"
    shutil.copy(FAULTY, other)
    import_bars(other, repo, run_id="r2", source="vendor_b")
    fixes = read_quarantine(repo, "r1")[["run_id", "source_file", "source_line"]].assign(close=20.4)
    fixes = fixes[fixes["source_line"] == 7]

    result = release_quarantine(repo, release_id="rel", run_id="r1", fixes=fixes)

    assert result.released == 1
    assert len(read_quarantine(repo, "r2")) == 3 and len(read_quarantine(repo, "r1")) == 2
