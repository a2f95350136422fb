"""A damaged lake or offline file is named by verify and rebuilt by repair."""

from __future__ import annotations

import pandas as pd
import pytest

from axiom_features.ingest import import_bars
from axiom_features.lakes.bars import BarLake
from axiom_features.lakes.checksums import DamagedFile
from axiom_features.lakes.symbols import symbol_file
from axiom_features.paths import RepoPaths
from axiom_features.pipeline.transform_job import run_transform_job
from axiom_features.synthetic.bars import generate_bars
from axiom_features.verify import repair_stores, verify_stores

VIEW = "ta_price_transform"


@pytest.fixture
def repo(tmp_path) -> RepoPaths:
    """Two symbols imported from a CSV and transformed for one view."""
    csv = tmp_path / "prices.csv"
    generate_bars(["AAA", "BBB"], 40, seed=8).drop(columns="created_timestamp").to_csv(
        csv, index=False
    )
    repo = RepoPaths(tmp_path / "repo")
    import_bars(csv, repo, run_id="r0")
    run_transform_job(repo, views=[VIEW])
    return repo


def _truncate(path) -> None:  # noqa: ANN001
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def test_an_intact_repository_verifies_clean(repo):
    report = verify_stores(repo)
    assert report.ok and report.unrecorded == 0 and report.checked == 4


def test_a_truncated_lake_file_is_named_and_stops_the_transform_with_one_line(repo):
    path = symbol_file(repo.bars, "AAA")
    before = BarLake(repo).read_symbol("AAA")
    _truncate(path)

    report = verify_stores(repo)
    assert [(d.store, d.path) for d in report.damaged] == [("lake", "lake/bars/AAA.parquet")]
    with pytest.raises(DamagedFile, match="AAA.parquet: damaged .*axiom repair"):
        run_transform_job(repo, views=[VIEW])

    repair_stores(repo)

    assert verify_stores(repo).ok
    after = BarLake(repo).read_symbol("AAA")
    columns = ["event_timestamp", "open", "high", "low", "close", "volume"]
    pd.testing.assert_frame_equal(after[columns], before[columns])


def test_a_truncated_offline_table_is_recomputed(repo):
    path = symbol_file(repo.offline_view(VIEW), "BBB")
    before = pd.read_parquet(path).drop(columns="created_timestamp")
    _truncate(path)
    assert [d.path for d in verify_stores(repo).damaged] == [f"offline/{VIEW}/BBB.parquet"]

    report = repair_stores(repo)

    assert report.rebuilt == [f"offline/{VIEW}/BBB.parquet"] and verify_stores(repo).ok
    pd.testing.assert_frame_equal(pd.read_parquet(path).drop(columns="created_timestamp"), before)
