"""Crashed runs are seen: a run whose process was killed (or whose heartbeat stopped) is
marked ``interrupted``, health and the alert rules report it, and a downstream job refuses
to build on it unless it is resumed (a rerun succeeds) or forced."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from axiom_features.ops.health import run_checks
from axiom_features.paths import RepoPaths
from axiom_features.pipeline.runs import RunLog, RunRecord, UpstreamInterrupted
from monitoring.alerts import Observations, PipelineRule, evaluate
from tests.run_children import KILL_SELF, killed, run_child

TRACKED_THEN_KILLED = f"""
import sys
from pathlib import Path
from axiom_features.pipeline.runs import RunLog
with RunLog(Path(sys.argv[1])).track(sys.argv[2]) as record:
    print(record.run_id, flush=True)
    {KILL_SELF}
"""


def killed_run(root: Path, command: str) -> str:
    """A ``command`` run whose process was killed with SIGKILL; returns its run id."""
    child = run_child(TRACKED_THEN_KILLED, str(RepoPaths(root).runs), command)
    assert killed(child), child.stderr
    return child.stdout.strip()


def test_a_killed_run_is_marked_interrupted_when_the_log_is_read(tmp_path: Path) -> None:
    run_id = killed_run(tmp_path, "ingest")
    raw = json.loads((RepoPaths(tmp_path).runs / f"{run_id}.json").read_text())
    assert raw["status"] == "running"  # what the dead process left behind

    record = RunLog(RepoPaths(tmp_path).runs).read(run_id)
    assert record.status == "interrupted"
    assert "process" in (record.error or "") and "gone" in (record.error or "")
    stored = json.loads((RepoPaths(tmp_path).runs / f"{run_id}.json").read_text())
    assert stored["status"] == "interrupted" and stored["ended_at"]


def test_a_run_without_a_heartbeat_on_another_host_is_interrupted(tmp_path: Path) -> None:
    log = RunLog(RepoPaths(tmp_path).runs)
    started = datetime.now(UTC) - timedelta(minutes=30)
    log.write(RunRecord("r-elsewhere", "transform", started.isoformat(), pid=1, host="elsewhere"))
    assert log.read("r-elsewhere").status == "interrupted"
    assert "no heartbeat" in (log.read("r-elsewhere").error or "")


def test_a_live_run_stays_running(tmp_path: Path) -> None:
    log = RunLog(RepoPaths(tmp_path).runs)
    with log.track("transform") as record:
        assert log.read(record.run_id).status == "running"
        assert log.heartbeat_path(record.run_id).exists()
    assert log.read(record.run_id).status == "succeeded"
    assert not log.heartbeat_path(record.run_id).exists()


def test_health_and_the_pipeline_alert_name_an_interrupted_run(tmp_path: Path) -> None:
    run_id = killed_run(tmp_path, "transform")
    checks = {c.name: c for c in run_checks(tmp_path, datetime.now(UTC))}
    assert checks["transform"].status == "warn"
    assert run_id in checks["transform"].detail and "interrupted" in checks["transform"].detail
    assert "rerun `axiom transform`" in checks["transform"].detail

    runs = [asdict(r) for r in RunLog(RepoPaths(tmp_path).runs).list()]
    alerts = evaluate([PipelineRule()], Observations(runs=runs))
    assert [a.key for a in alerts] == ["pipeline:transform"]
    assert "interrupted" in alerts[0].title


def test_a_downstream_job_refuses_an_interrupted_upstream_until_resumed_or_forced(
    feature_repo: Path,
) -> None:
    from axiom_features.pipeline import jobs
    from axiom_features.synthetic.bars import generate_bars

    bars = generate_bars(["AXM"], 40, seed=3)
    jobs.ingest_frame(feature_repo, bars, source="synthetic", origin="<test>")
    broken = killed_run(feature_repo, "ingest")

    with pytest.raises(UpstreamInterrupted, match=f"ingest run {broken} was interrupted"):
        jobs.transform(feature_repo, views=["ta_cycle"])
    forced = jobs.transform(feature_repo, views=["ta_cycle"], force=True)
    assert forced.rows_per_view == {"ta_cycle": 40}
    last = RunLog(RepoPaths(feature_repo).runs).list("transform")[-1]
    assert last.parameters["forced_over"] == [broken]

    jobs.ingest_frame(feature_repo, bars, source="synthetic", origin="<test>")  # resume
    assert jobs.transform(feature_repo, views=["ta_cycle"]).rows_per_view == {"ta_cycle": 40}
