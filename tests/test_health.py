"""``axiom health``: 2 when a view is older than its SLA, 0 after a fresh materialization."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from axiom_features.cli.app import cli
from axiom_features.ops.health import check_health
from axiom_features.pipeline import jobs
from axiom_features.synthetic.bars import generate_bars
from monitoring.sla import DurationSLA, SessionSLA, check, sla_history
from tests.conftest import copy_feature_repo

FIRST_END = datetime(2026, 6, 1, 21, 0, tzinfo=UTC)  # Monday close (16:00 New York)
SECOND_END = datetime(2026, 6, 12, 20, 0, tzinfo=UTC)  # Friday close


def _health(root: Path, at: datetime) -> tuple[int, dict]:
    result = CliRunner().invoke(
        cli, ["--repo", str(root), "health", "--json", "--at", at.isoformat()]
    )
    return result.exit_code, json.loads(result.output)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_feature_repo(tmp_path_factory.mktemp("health"), project=f"h{uuid.uuid4().hex[:8]}")
    jobs.ingest_frame(root, generate_bars(["AXM", "BLQ"], 80, seed=4, end=FIRST_END),
                      source="synthetic", origin="<test>")  # fmt: skip
    jobs.transform(root, workers=1)
    jobs.apply(root)
    jobs.materialize(root, FIRST_END - timedelta(days=200), FIRST_END)
    return root


def test_health_is_critical_when_views_are_older_than_their_sla_then_ok_after_a_fresh_run(
    repo: Path,
) -> None:
    code, report = _health(repo, SECOND_END + timedelta(hours=1))
    assert code == 2
    stale = [c for c in report["checks"] if c["kind"] == "freshness"]
    assert stale and all(c["status"] == "critical" for c in stale)

    jobs.ingest_frame(repo, generate_bars(["AXM", "BLQ"], 90, seed=4, end=SECOND_END),
                      source="synthetic", origin="<test>")  # fmt: skip
    jobs.transform(repo, workers=1)
    jobs.materialize(repo, FIRST_END, SECOND_END)
    code, report = _health(repo, SECOND_END + timedelta(hours=1))
    assert code == 0, [c for c in report["checks"] if c["status"] != "ok"]
    assert {c["kind"] for c in report["checks"]} == {"registry", "offline", "freshness", "runs"}


def test_a_view_never_materialized_is_critical(feature_repo: Path) -> None:
    jobs.apply(feature_repo)
    report = check_health(feature_repo, now=FIRST_END)
    assert report.exit_code == 2
    assert any("never materialized" in c.detail for c in report.checks)


def test_session_sla_counts_closed_sessions_after_the_newest_row() -> None:
    import pandas as pd

    closes = pd.DatetimeIndex(
        ["2026-06-10 20:00", "2026-06-11 20:00", "2026-06-12 20:00"], tz="UTC"
    )
    newest = datetime(2026, 6, 10, 20, 0, tzinfo=UTC)
    sla = SessionSLA(sessions=1)
    assert check("v", sla, newest, datetime(2026, 6, 11, 21, 0, tzinfo=UTC), closes).status == "ok"
    late = datetime(2026, 6, 12, 21, 0, tzinfo=UTC)
    assert check("v", sla, newest, late, closes).status == "critical"


def test_duration_sla_warns_then_breaks_and_history_is_the_share_within() -> None:
    sla = DurationSLA(max_age_minutes=60)
    t0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    assert check("v", sla, t0, t0 + timedelta(minutes=30), None).status == "ok"
    assert check("v", sla, t0, t0 + timedelta(minutes=50), None).status == "warn"
    assert check("v", sla, t0, t0 + timedelta(minutes=61), None).status == "critical"
    # fresh at t0 and t0+2h: within SLA for the first hour of each two
    readings = [(t0, t0), (t0 + timedelta(hours=2), t0 + timedelta(hours=2))]
    share = sla_history("v", sla, readings, t0, t0 + timedelta(hours=4) - timedelta(minutes=1),
                        step=timedelta(minutes=1))  # fmt: skip
    assert share == pytest.approx(0.5, abs=0.01)
