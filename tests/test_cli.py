"""The ``axiom`` CLI end to end, in a temporary copy of the feature repository."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

AXIOM = str(Path(sys.executable).with_name("axiom"))


def axiom(repo: Path, *args: str, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [AXIOM, "--repo", str(repo), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={"COLUMNS": "200", "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin"},
    )


@pytest.mark.e2e
def test_demo_runs_the_whole_path_and_prints_online_features(feature_repo: Path) -> None:
    done = axiom(feature_repo, "demo", "--symbols", "4", "--days", "260")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    assert "online features (get_online_features)" in out
    assert "AXM" in out and "BLQ" in out
    assert "training frame" in out and "4 rows" not in out
    # the demo's incoming file carries three faulty rows, all held back with their rules
    assert "quarantined" in out and "│ 3 " in out.split("quarantined", 1)[1][:40]
    profiles = list((feature_repo / "data" / "profiles").rglob("*.bin"))
    assert len(profiles) >= 9
    # it ends by streaming two sessions of minute bars into the online store
    live = out.split("live stream (", 1)[1]
    published = int(re.search(r"bars published\s*│\s*([\d,]+)", live)[1].replace(",", ""))
    online = int(re.search(r"bars online\s*│\s*([\d,]+)", live)[1].replace(",", ""))
    assert published == online > 4 * 390  # every minute of two sessions for 4 symbols
    assert re.search(r"dead letters\s*│\s*0\s", live)
    assert re.search(r"latency p50 / p99\s*│\s*[\d,.]+ ms / [\d,.]+ ms", live)
    bar_times = re.findall(r"(\d{4}-\d\d-\d\d \d\d:\d\d) UTC", live)
    assert len(set(bar_times)) >= 2, live  # the watched feature changed as bars arrived
    stream_dir = feature_repo / "data" / "stream"
    assert (stream_dir / "appendonly.aof").exists() or (stream_dir / "appendonlydir").is_dir()
    assert not (stream_dir / "redis.pid").exists()  # the embedded stream server was stopped


@pytest.mark.e2e
def test_features_list_json_names_every_feature() -> None:
    done = subprocess.run([AXIOM, "features", "list", "--json"], capture_output=True, text=True)
    assert done.returncode == 0
    records = json.loads(done.stdout)
    assert len(records) >= 200
    assert {"view", "name", "dtype", "transform", "version"} <= set(records[0])


@pytest.mark.e2e
def test_a_missing_file_is_a_one_line_error_and_exit_1(feature_repo: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bars.csv"
    bad.write_text("Date,Open,High,Low,Volume\n2024-01-02,1,2,0.5,100\n")
    done = axiom(feature_repo, "ingest", str(bad))
    assert done.returncode == 1
    assert "error:" in done.stderr and "bars.csv" in done.stderr and "close" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.e2e
def test_news_and_fundamentals_import_report_counts_that_add_up(
    feature_repo: Path, tmp_path: Path
) -> None:
    news = tmp_path / "news.csv"
    news.write_text(
        "ticker,publishedAt,title\n"
        "AXM,2024-01-02T14:00:00Z,AXM beats estimates and raises guidance\n"
        "BLQ,not-a-date,BLQ misses\n"
    )
    done = axiom(feature_repo, "ingest-news", str(news))
    assert done.returncode == 0, done.stderr
    assert "unreadable time 'not-a-date'" in done.stdout

    filings = tmp_path / "fundamentals.csv"
    filings.write_text("Symbol,Period End,Total Revenue\nAXM,2024-03-31,100\n")
    done = axiom(feature_repo, "ingest-fundamentals", str(filings))
    assert done.returncode == 1
    assert "fundamentals.csv" in done.stderr and "missing required column" in done.stderr
