"""An import applies completely or leaves nothing: kill -9 at any point, then recover."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time
from pathlib import Path

import pandas as pd
import pytest

from axiom_features.ingest import QualityOptions, import_bars
from axiom_features.lakes.bars import BarLake
from axiom_features.lakes.transaction import recover, transaction, transactions_dir
from axiom_features.paths import RepoPaths
from axiom_features.synthetic.bars import generate_bars

FILES = 20
SYMBOLS = [f"S{i:02d}" for i in range(6)]
DAYS_PER_FILE = 8


def _files(folder: Path) -> list[pd.DataFrame]:
    """20 files over the same symbols, each holding its own block of days."""
    bars = generate_bars(SYMBOLS, FILES * DAYS_PER_FILE, seed=3).drop(columns="created_timestamp")
    days = sorted(bars["event_timestamp"].unique())
    frames = []
    for i in range(FILES):
        block = days[i * DAYS_PER_FILE : (i + 1) * DAYS_PER_FILE]
        part = bars[bars["event_timestamp"].isin(block)]
        part.to_csv(folder / f"part{i:02d}.csv", index=False)
        frames.append(part)
    return frames


def _child(path: str, root: str, run_id: str) -> None:
    quick = QualityOptions(engine="duckdb")  # same verdicts as GX, a fraction of the time
    import_bars(Path(path), RepoPaths(Path(root)), run_id=run_id, quality=quick)


def _written(repo: RepoPaths) -> bool:
    return transactions_dir(repo).exists() or repo.bars.exists()


def test_a_killed_import_leaves_each_file_fully_in_the_lake_or_not_at_all(tmp_path):
    frames = _files(tmp_path)
    repo = RepoPaths(tmp_path / "repo")
    context = multiprocessing.get_context("forkserver")
    preload = ["axiom_features.ingest.importer", "great_expectations", "duckdb"]
    context.set_forkserver_preload(preload)
    rng = random.Random(16)

    def start(i: int) -> multiprocessing.Process:
        args = (str(tmp_path / f"part{i:02d}.csv"), str(repo.root), f"run{i:02d}")
        process = context.Process(target=_child, args=args)
        process.start()
        return process

    timing = start(0)
    began = time.perf_counter()
    timing.join()
    duration = time.perf_counter() - began
    assert timing.exitcode == 0

    killed = 0
    for i in range(1, FILES):
        before = {p: p.stat().st_mtime_ns for p in repo.bars.glob("*.parquet")}
        process = start(i)
        if i % 2:  # anywhere in the run
            time.sleep(rng.uniform(0, duration))
        else:  # shortly after the first write of this run
            deadline = time.perf_counter() + 2 * duration
            while time.perf_counter() < deadline and process.is_alive():
                touched = any(p.stat().st_mtime_ns != m for p, m in before.items())
                if transactions_dir(repo).exists() or touched:
                    break
                time.sleep(0.001)
            time.sleep(rng.uniform(0, 0.05))
        if process.is_alive():
            os.kill(process.pid, signal.SIGKILL)
            killed += 1
        process.join()
        recover(repo)

    assert killed >= FILES // 2
    assert not transactions_dir(repo).exists() or not any(transactions_dir(repo).iterdir())
    lake = BarLake(repo).read().to_pandas()
    stored = set(zip(lake["symbol"], lake["event_timestamp"], strict=True))
    for i, frame in enumerate(frames):
        keys = set(zip(frame["symbol"], pd.to_datetime(frame["event_timestamp"]), strict=True))
        present = len(keys & stored)
        assert present in (0, len(keys)), f"file {i}: {present} of {len(keys)} rows in the lake"


def _table(value: float):  # noqa: ANN202
    import pyarrow as pa

    return pa.table({"x": [value]})


def test_a_decided_transaction_is_published_by_the_next_recovery(tmp_path):
    repo = RepoPaths(tmp_path)
    target = repo.bars / "A.parquet"
    tx = transaction(repo, "r2").__enter__()
    tx.write_table(_table(3.0), target)
    (tx.folder / "manifest.json").write_text(
        '[{"staged": "000000.parquet", "target": "lake/bars/A.parquet"}]'
    )  # the manifest is written, the process dies before publishing
    assert recover(repo) == {"r2": "rolled forward"}
    assert pd.read_parquet(target)["x"].tolist() == [3.0]


def test_an_undecided_transaction_is_rolled_back(tmp_path):
    repo = RepoPaths(tmp_path)
    tx = transaction(repo, "r3").__enter__()
    tx.write_table(_table(1.0), repo.bars / "B.parquet")
    assert recover(repo) == {"r3": "rolled back"}
    assert not (repo.bars / "B.parquet").exists()


def test_a_transaction_never_writes_outside_the_data_folder(tmp_path):
    repo = RepoPaths(tmp_path / "repo")
    with pytest.raises(ValueError, match="outside the data folder"):
        with transaction(repo, "r4") as tx:
            tx.write_table(_table(1.0), repo.bars / ".." / ".." / ".." / "evil.parquet")
    assert not (tmp_path / "evil.parquet").exists()
