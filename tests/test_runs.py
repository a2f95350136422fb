"""Run records: every job run is written at start and closed with its outcome."""

from pathlib import Path

import pytest

from axiom_features.pipeline.runs import RunLog


def test_a_successful_run_is_recorded_with_its_counts(tmp_path: Path) -> None:
    log = RunLog(tmp_path)
    with log.track("ingest", parameters={"timezone": "UTC"}) as run:
        assert log.read(run.run_id).status == "running"
        run.inputs = ["bars.csv"]
        run.row_counts = {"rows_in": 10, "accepted": 9, "quarantined": 1}
    stored = log.read(run.run_id)
    assert stored.status == "succeeded"
    assert stored.row_counts == {"rows_in": 10, "accepted": 9, "quarantined": 1}
    assert stored.inputs == ["bars.csv"]
    assert stored.ended_at is not None and stored.ended_at >= stored.started_at


def test_a_failed_run_keeps_its_error(tmp_path: Path) -> None:
    log = RunLog(tmp_path)
    with pytest.raises(ValueError), log.track("transform") as run:
        raise ValueError("bars.csv: column 'close' is missing")
    stored = log.read(run.run_id)
    assert stored.status == "failed"
    assert "column 'close' is missing" in (stored.error or "")


def test_runs_are_listed_oldest_first_and_filtered_by_command(tmp_path: Path) -> None:
    log = RunLog(tmp_path)
    for command in ("ingest", "transform", "ingest"):
        with log.track(command):
            pass
    assert [r.command for r in log.list()] == ["ingest", "transform", "ingest"]
    assert len(log.list("ingest")) == 2
