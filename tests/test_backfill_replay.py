"""Backfill of a range writes the bytes of a from-scratch run; replay says whether a recorded
run's outputs are reproduced, and names the views a code change altered."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from axiom_features.backfill.jobs import backfill
from axiom_features.backfill.replay import NotReplayable, replay
from axiom_features.lakes.provenance import file_sha256
from axiom_features.paths import RepoPaths
from axiom_features.pipeline.transform_job import run_transform_job
from tests.conftest import REPO_ROOT
from tests.test_transform_job import write_bars
from tests.test_transforms import synthetic_bars

SYMBOLS = ("AAA", "BBB")
CREATED = datetime(2025, 6, 2, 21, 0, tzinfo=UTC)
MARCH = (datetime(2021, 3, 1, tzinfo=UTC), datetime(2021, 3, 31, 23, 59, 59, tzinfo=UTC))
VIEWS = [  # one view of each family or more
    "ta_momentum", "ta_overlap", "fundamentals_valuation", "sentiment_trend",
    "microstructure", "risk", "regime",
]  # fmt: skip


def fill_lake(root: Path, *, until: datetime | None = None) -> RepoPaths:
    repo = RepoPaths(root)
    for seed, symbol in enumerate(SYMBOLS):
        frame = synthetic_bars(seed)
        if until is not None:
            frame = frame[frame.event_timestamp <= until]
        write_bars(repo, symbol, frame)
    return repo


def offline_bytes(repo: RepoPaths) -> dict[str, str]:
    return {
        p.relative_to(repo.offline).as_posix(): file_sha256(p)
        for p in sorted(repo.offline.rglob("*.parquet"))
    }


@pytest.fixture(scope="module")
def from_scratch(tmp_path_factory) -> RepoPaths:
    repo = fill_lake(tmp_path_factory.mktemp("scratch"))
    run_transform_job(repo, views=VIEWS, created=CREATED)
    return repo


def test_the_lake_spans_march_2021(from_scratch):
    stamps = pq.read_table(from_scratch.bars / "AAA.parquet").column("event_timestamp")
    assert stamps[0].as_py() < MARCH[0] and stamps[-1].as_py() > MARCH[1]


def test_backfill_of_a_missed_range_writes_the_bytes_of_a_from_scratch_run(tmp_path, from_scratch):
    repo = fill_lake(tmp_path, until=MARCH[0])  # tables computed while the lake ended here
    run_transform_job(repo, views=VIEWS, created=CREATED)
    fill_lake(tmp_path)  # the rest of the history arrives
    last = pq.read_table(from_scratch.bars / "AAA.parquet").column("event_timestamp")[-1]
    backfill(tmp_path, MARCH[0], last.as_py(), views=VIEWS, created=CREATED, profile_days=False)
    assert offline_bytes(repo) == offline_bytes(from_scratch)


def test_a_backfill_in_worker_processes_writes_the_bytes_of_a_from_scratch_run(
    tmp_path, from_scratch, monkeypatch
):
    from axiom_features.backfill import ranges

    monkeypatch.setattr(ranges, "PARALLEL_SYMBOLS", 1)  # two symbols are enough for workers
    repo = fill_lake(tmp_path)
    last = pq.read_table(from_scratch.bars / "AAA.parquet").column("event_timestamp")[-1]
    start = datetime(1970, 1, 1, tzinfo=UTC)
    result = backfill(
        tmp_path, start, last.as_py(), views=VIEWS, created=CREATED, workers=2, profile_days=False
    )
    assert offline_bytes(repo) == offline_bytes(from_scratch)
    assert sorted(result.digests["risk"]) == list(SYMBOLS)


def test_backfill_replaces_wrong_values_inside_the_range_only(tmp_path, from_scratch):
    repo = fill_lake(tmp_path)
    shutil.copytree(from_scratch.offline, repo.offline)
    damaged = repo.offline_view("ta_momentum") / "BBB.parquet"
    frame = pq.read_table(damaged).to_pandas()
    frame.loc[frame.index[-1], "rsi_14"] = -1.0  # a wrong value after the range
    march = frame.event_timestamp.between(*MARCH)
    frame.loc[march, "rsi_14"] = 0.0
    frame.to_parquet(damaged, index=False)
    result = backfill(tmp_path, *MARCH, views=["ta_momentum"], created=CREATED)
    repaired = pq.read_table(damaged).to_pandas()
    expected = pq.read_table(from_scratch.offline_view("ta_momentum") / "BBB.parquet")
    expected = expected.to_pandas()
    assert (repaired.rsi_14[march] == expected.rsi_14[march]).all()
    assert repaired.rsi_14.iloc[-1] == -1.0  # outside the range: untouched
    assert result.rows_per_view == {"ta_momentum": int(march.sum()) * len(SYMBOLS)}


def test_replay_of_an_unchanged_run_is_identical(tmp_path, from_scratch):
    fill_lake(tmp_path)
    run = backfill(tmp_path, *MARCH, views=["ta_math", "ta_momentum"], profile_days=False)
    report = replay(tmp_path, run.run_id)
    assert report.identical
    assert report.summary() == f"replay of {run.run_id}: identical"


def replay_with_max_close_period_31(tmp_path: Path, root: Path, run_id: str):  # noqa: ANN201
    """``axiom replay RUN_ID`` under a scratch copy of ``transforms/`` in which the period of
    ``max_close_30`` (view ``ta_math``) is 31; the finished process."""
    code = tmp_path / "code"
    shutil.copytree(REPO_ROOT / "transforms", code / "transforms")
    source = code / "transforms" / "talib_features.py"
    text = source.read_text()
    assert '_on("max_close_30", "close", timeperiod=30)' in text
    source.write_text(text.replace('"close", timeperiod=30)', '"close", timeperiod=31)', 1))
    env = {**os.environ, "PYTHONPATH": f"{code}{os.pathsep}{REPO_ROOT}"}
    axiom = ["-c", "from axiom_features.cli.app import main; main()"]
    return subprocess.run(
        [sys.executable, *axiom, "--repo", str(root), "replay", run_id],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300,
    )  # fmt: skip


def test_replay_after_a_transform_parameter_changed_names_the_view(tmp_path):
    fill_lake(tmp_path / "repo")
    run = backfill(tmp_path / "repo", *MARCH, views=["ta_math", "ta_momentum"], profile_days=False)
    done = replay_with_max_close_period_31(tmp_path, tmp_path / "repo", run.run_id)
    assert done.returncode == 1, done.stderr
    line = done.stdout.strip()
    assert line.startswith(f"replay of {run.run_id}: differs: ta_math: ")
    assert "ta_momentum" not in line
    march_rows = int(line.split("ta_math: ")[1].split(" ")[0])
    march = pq.read_table(tmp_path / "repo/data/lake/bars/AAA.parquet").to_pandas()
    march = int(march.event_timestamp.between(*MARCH).sum())
    assert 0 < march_rows <= march * len(SYMBOLS)  # max_close_30 alone, on March's rows


def test_replay_refuses_when_an_input_changed(tmp_path):
    repo = fill_lake(tmp_path)
    run = backfill(tmp_path, *MARCH, views=["ta_momentum"], profile_days=False)
    write_bars(repo, "AAA", synthetic_bars(7))
    with pytest.raises(NotReplayable, match="data/lake/bars/AAA.parquet"):
        replay(tmp_path, run.run_id)


def test_the_command_backfills_whole_days_and_names_a_reversed_range(tmp_path):
    from click.testing import CliRunner

    from axiom_features.cli.app import cli

    repo = fill_lake(tmp_path)
    done = CliRunner().invoke(
        cli,
        ["--repo", str(tmp_path), "backfill", "--start", "2021-03-01", "--end", "2021-03-31",
         "--views", "ta_momentum", "--symbols", "AAA"],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    table = pq.read_table(repo.offline_view("ta_momentum") / "AAA.parquet").to_pandas()
    assert table.event_timestamp.min() == pd.Timestamp("2021-03-01", tz="UTC")
    assert table.event_timestamp.max() == pd.Timestamp("2021-03-31", tz="UTC")  # included
    assert not (repo.offline_view("ta_momentum") / "BBB.parquet").exists()

    reversed_range = CliRunner().invoke(
        cli, ["--repo", str(tmp_path), "backfill", "--start", "2021-03-31", "--end", "2021-03-01"]
    )
    assert reversed_range.exit_code != 0
    lines = reversed_range.output.strip().splitlines()
    assert len(lines) == 1 and "--end 2021-03-01 is before --start 2021-03-31" in lines[0]
