"""Importing the same file again holds its bad rows once, not once per import."""

from __future__ import annotations

import pytest

from axiom_features.ingest import import_bars
from axiom_features.paths import RepoPaths
from axiom_features.quality.quarantine import read_quarantine
from axiom_features.synthetic.bars import generate_bars


@pytest.mark.parametrize("chunk_rows", [None, 8], ids=["whole_file", "streamed"])
def test_the_same_held_row_is_listed_once_however_often_its_file_is_imported(
    tmp_path, chunk_rows
):
    bars = generate_bars(["AAA", "BBB"], 20, seed=4).drop(columns="created_timestamp")
    bars.loc[5, "high"] = bars.loc[5, "low"] - 1.0  # high below low: held
    csv = tmp_path / "prices.csv"
    bars.to_csv(csv, index=False)
    repo = RepoPaths(tmp_path / "repo")

    results = [import_bars(csv, repo, run_id=f"r{i}", chunk_rows=chunk_rows) for i in range(4)]

    assert [r.quarantined for r in results] == [1, 1, 1, 1]  # every run still counts it
    assert [r.already_held for r in results] == [0, 1, 1, 1]
    held = read_quarantine(repo)
    assert len(held) == 1 and held["run_id"].tolist() == ["r0"]
