"""Cost tracking: every run records what it cost; ``axiom cost`` sums it by job and view."""

from __future__ import annotations

import json
import os
from pathlib import Path

from click.testing import CliRunner

from axiom_features.cli.app import cli
from axiom_features.pipeline.runs import RunLog


def _busy_transform(log: RunLog, data: Path, rows: dict[str, int]) -> str:
    with log.track("transform") as run:
        total = sum(i * i for i in range(300_000))  # some CPU
        (data / "offline").mkdir(parents=True, exist_ok=True)
        (data / "offline" / f"{run.run_id}.bin").write_bytes(os.urandom(300_000))
        run.row_counts = dict(rows)
        assert total > 0
    return run.run_id


def test_a_run_records_cpu_wall_memory_rows_bytes_and_storage_growth(tmp_path: Path) -> None:
    data = tmp_path / "data"
    log = RunLog(data / "runs")
    run = log.read(_busy_transform(log, data, {"a": 100, "b": 100}))
    assert run.cpu_seconds and run.cpu_seconds > 0
    assert run.wall_seconds and run.wall_seconds >= run.cpu_seconds * 0.5
    assert run.peak_rss_mb and run.peak_rss_mb > 10
    assert run.rows_written == 200 and run.rows_read == 100
    assert run.bytes_written is not None and run.bytes_written >= 300_000
    assert run.storage_growth_bytes is not None and run.storage_growth_bytes >= 300_000


def test_records_without_cost_fields_still_load(tmp_path: Path) -> None:
    log = RunLog(tmp_path)
    old = {"run_id": "r0", "command": "ingest", "started_at": "2026-01-01T00:00:00+00:00",
           "status": "succeeded", "some_future_field": 1}  # fmt: skip
    (tmp_path / "r0.json").write_text(json.dumps(old))
    assert log.read("r0").cpu_seconds is None


def test_axiom_cost_sums_by_job_and_view(tmp_path: Path) -> None:
    data = tmp_path / "data"
    log = RunLog(data / "runs")
    for _ in range(2):
        _busy_transform(log, data, {"a": 300, "b": 100})
    result = CliRunner().invoke(cli, ["--repo", str(tmp_path), "cost", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    (job,) = summary["jobs"]
    assert job["job"] == "transform" and job["runs"] == 2 and job["rows_written"] == 800
    runs = log.list()
    assert job["cpu_seconds"] == sum(r.cpu_seconds for r in runs)
    views = {v["feature_view"]: v for v in summary["views"]}
    assert views["a"]["offline_rows_written"] == 600
    assert (
        views["a"]["cpu_seconds"] == round(3 * views["b"]["cpu_seconds"], 3)
        or abs(views["a"]["cpu_seconds"] - 3 * views["b"]["cpu_seconds"]) < 0.01
    )
