"""Large CSV files stream in chunks: same verdicts, exact accounting, bounded memory.

The size of the bounded-memory test is ``AXIOM_STREAM_TEST_ROWS`` (default 1,000,000 rows,
about a minute on two cores); set it to 5000000 for the full five-million-row file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from axiom_features.ingest import IngestError, QualityOptions, import_bars
from axiom_features.lakes.bars import BarLake
from axiom_features.paths import RepoPaths
from axiom_features.quality import BatchBlocked, read_quarantine
from axiom_features.quality.store import read_verdict
from tests.quality_helpers import clean_bars, write_vendor_csv

STREAM_ROWS = int(os.environ.get("AXIOM_STREAM_TEST_ROWS", "1000000"))


@pytest.fixture
def faulty_file(tmp_path: Path) -> Path:
    bars = clean_bars(3, 40)
    bars.loc[5, "high"] = bars.loc[5, "low"] / 2
    bars.loc[17, "close"] = float("nan")
    copies = bars.iloc[[2, 60, 61]]  # later exact copies, in later chunks
    path = write_vendor_csv(pd.concat([bars, copies], ignore_index=True), tmp_path / "long.csv")
    text = path.read_text().splitlines()
    text[30] = text[30].replace(text[30].split(",")[2], "abc", 1)  # wrong type on line 31
    path.write_text("\n".join(text) + "\n")
    return path


def _held(repo: RepoPaths) -> list[tuple[int, str]]:
    held = read_quarantine(repo).sort_values("source_line")
    return list(zip(held["source_line"], held["failed_rules"], strict=True))


def test_streaming_in_small_chunks_reaches_the_whole_file_verdicts(tmp_path, faulty_file):
    whole, streamed = RepoPaths(tmp_path / "whole"), RepoPaths(tmp_path / "streamed")

    a = import_bars(faulty_file, whole, run_id="a")
    b = import_bars(faulty_file, streamed, run_id="b", chunk_rows=16)

    assert (b.rows_in, b.accepted, b.quarantined) == (a.rows_in, a.accepted, a.quarantined)
    assert b.rows_in == 123 == b.accepted + b.quarantined
    assert _held(streamed) == _held(whole)
    assert [line for line, _ in _held(streamed)] == [7, 19, 31, 122, 123, 124]
    assert BarLake(streamed).read().to_pandas().equals(BarLake(whole).read().to_pandas()) or (
        BarLake(streamed).read().num_rows == BarLake(whole).read().num_rows
    )
    assert "streamed in 8 chunk(s)" in b.files[0].notes
    assert b.metrics is not None and b.metrics.rows_in == 123


def test_a_later_copy_with_other_values_is_held_as_a_conflict(tmp_path):
    bars = clean_bars(1, 30)
    conflict = bars.iloc[[3]].assign(close=bars.loc[3, "close"] * 1.01)
    path = write_vendor_csv(pd.concat([bars, conflict], ignore_index=True), tmp_path / "a.csv")
    repo = RepoPaths(tmp_path / "r")

    result = import_bars(path, repo, run_id="r", chunk_rows=10)

    assert (result.accepted, result.quarantined) == (30, 1)
    assert _held(repo) == [(32, "unique_key_conflict")]


def test_a_file_blocked_in_its_last_chunk_writes_nothing(tmp_path):
    bars = clean_bars(2, 200)
    bars.loc[390, "high"] = bars.loc[390, "low"] / 2  # in the last of eight chunks
    path = write_vendor_csv(bars, tmp_path / "late.csv")
    repo = RepoPaths(tmp_path / "r")
    options = QualityOptions(severities={"high_is_max": "block"})

    with pytest.raises(BatchBlocked, match=r"high_is_max.*late\.csv:392"):
        import_bars(path, repo, run_id="r", chunk_rows=50, quality=options)

    assert BarLake(repo).symbols() == [] and read_quarantine(repo).empty
    assert not any((repo.data / "quality" / "staging").glob("*"))
    assert read_verdict(repo, "r")["status"] == "blocked"


def test_header_only_and_empty_files_fail_the_same_way_when_streamed(tmp_path):
    header = tmp_path / "h.csv"
    header.write_text("Date,Open,High,Low,Close,Volume\n\n")
    empty = tmp_path / "e.csv"
    empty.write_text("")
    repo = RepoPaths(tmp_path / "r")
    with pytest.raises(IngestError, match="header but no rows"):
        import_bars(header, repo, run_id="r", chunk_rows=10)
    with pytest.raises(IngestError, match="empty"):
        import_bars(empty, repo, run_id="r", chunk_rows=10)


CHILD = """
import json, resource, sys, time
from pathlib import Path
import numpy as np, pandas as pd
from axiom_features.ingest import import_bars
from axiom_features.paths import RepoPaths
rows, path, root = int(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
symbols = 500
per = rows // symbols
stamps = pd.date_range("2000-01-03 21:00", periods=per, freq="min", tz="UTC")
rng = np.random.default_rng(0)
with path.open("w") as out:
    out.write("Datetime,Ticker,Open,High,Low,Close,Volume\\n")
    text = stamps.strftime("%Y-%m-%dT%H:%M:%SZ").to_numpy()
    for k in range(symbols):
        close = 50 * np.exp(np.cumsum(rng.normal(0, 0.001, per)))
        frame = pd.DataFrame({"d": text, "t": f"S{k:04d}", "o": close, "h": close * 1.001,
                              "l": close * 0.999, "c": close, "v": rng.integers(1, 999, per)})
        frame.to_csv(out, header=False, index=False, float_format="%.4f")
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
started = time.perf_counter()
result = import_bars(path, RepoPaths(root), run_id="big", chunk_rows=100_000)
print(json.dumps({"rows_in": result.rows_in, "accepted": result.accepted,
                  "quarantined": result.quarantined, "new_rows": result.new_rows,
                  "file_mb": path.stat().st_size / 2**20, "base_mb": base,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "seconds": time.perf_counter() - started}))
"""


def test_a_file_of_millions_of_rows_streams_with_bounded_memory(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(STREAM_ROWS), str(tmp_path / "big.csv"),
         str(tmp_path / "repo")],
        capture_output=True, text=True, timeout=1200, cwd=Path(__file__).resolve().parents[1],
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    rows = STREAM_ROWS // 500 * 500
    assert report["rows_in"] == rows == report["accepted"] + report["quarantined"]
    assert report["new_rows"] == report["accepted"]
    # memory: chunks of 100k rows, whatever the file size
    assert report["peak_mb"] - report["base_mb"] < 1200, report
