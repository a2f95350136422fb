"""The generated assets run in-process (``dagster.materialize``, no daemon) on a scratch
repository: the bar file the inbox sensor finds goes through the gate into the lake, the
transform and the materialization write the view, each step leaving its job's run record;
a blocked batch stops everything downstream; a bad file fails once, without retries; and
``axiom pipeline run`` / ``status`` / ``resume`` speak for the runs."""

from __future__ import annotations

import uuid
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
from click.testing import CliRunner

from axiom_features.orchestration.assets import (
    Settings,
    build_assets,
    lake_key,
    offline_key,
    online_key,
)
from axiom_features.orchestration.definitions import build_definitions
from axiom_features.orchestration.triggers import inbox
from axiom_features.pipeline.runs import RunLog
from tests.conftest import copy_feature_repo
from tests.faults.conftest import END, SYMBOLS, bars_frame

VIEW = "ta_volume"
DAY = END.strftime("%Y-%m-%d")
SELECTION = [lake_key("bars"), offline_key(VIEW), online_key(VIEW)]


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_feature_repo(tmp_path_factory.mktemp("orch") / "repo", f"o{uuid.uuid4().hex[:8]}")
    return root


def _vendor_file(path: Path, bars: pd.DataFrame) -> Path:
    from axiom_features.synthetic.bars import vendor_frame

    path.parent.mkdir(parents=True, exist_ok=True)
    vendor_frame(bars).to_csv(path, index=False)
    return path


def _next_session() -> pd.DataFrame:
    """One bar per symbol for the session after ``END`` (Monday 2026-06-15)."""
    from datetime import timedelta

    from axiom_features.synthetic.bars import generate_bars

    later = generate_bars(SYMBOLS, 2, seed=12, end=END + timedelta(days=3))
    return later[later["event_timestamp"] > END].reset_index(drop=True)


def _runs(root: Path, command: str) -> list:
    return RunLog(root / "data" / "runs").list(command)


def _materialize(root: Path, config: dict, **kwargs) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        build_assets(Settings(root)),
        selection=SELECTION,
        partition_key=DAY,
        run_config=config,
        instance=dg.DagsterInstance.ephemeral(),
        **kwargs,
    )


def test_the_sensor_file_runs_through_gate_lake_transform_and_online_in_process(repo: Path):
    bars = bars_frame(90)
    _vendor_file(inbox(repo) / "bars" / "day.csv", bars)
    defs = build_definitions(Settings(repo))
    context = dg.build_sensor_context(repository_def=defs.get_repository_def())
    (request,) = defs.resolve_sensor_def("inbox").evaluate_tick(context).run_requests

    result = _materialize(repo, request.run_config)

    assert result.success
    written = {e.asset_key for e in result.get_asset_materialization_events()}
    assert written == set(SELECTION)
    checks = {(e.asset_key, e.check_name): e.passed for e in result.get_asset_check_evaluations()}
    assert checks == {
        (lake_key("bars"), "quality_gate"): True,
        (online_key(VIEW), "freshness"): True,
    }
    (ingest,) = _runs(repo, "ingest")
    assert ingest.status == "succeeded" and ingest.row_counts["new_rows"] == len(bars)
    assert [r.status for r in _runs(repo, "transform")] == ["succeeded"]
    (materialized,) = _runs(repo, "materialize")
    assert materialized.row_counts == {VIEW: len(SYMBOLS)}  # the latest row per symbol
    offline = pd.read_parquet(repo / "data" / "offline" / VIEW)
    assert offline.groupby("symbol").size().to_dict() == {s: 90 for s in SYMBOLS}

    from axiom_features.feature_store import open_store

    online = (
        open_store(repo)
        .get_online_features(features=[f"{VIEW}:obv"], entity_rows=[{"symbol": s} for s in SYMBOLS])
        .to_df()
    )
    latest = offline.sort_values("event_timestamp").groupby("symbol").tail(1).set_index("symbol")
    assert online.set_index("symbol")["obv"].to_dict() == latest["obv"].to_dict()


def test_a_blocked_batch_fails_the_gate_and_nothing_downstream_runs(repo: Path):
    bad = _next_session()
    bad.loc[bad.index[0], "high"] = bad.loc[bad.index[0], "low"] * 0.9
    path = _vendor_file(repo / "incoming" / "bad.csv", bad)
    offline_before = pd.read_parquet(repo / "data" / "offline" / VIEW)
    config = {"ops": {"lake__bars": {"config": {"files": [str(path)], "block": ["high_is_max"]}}}}

    result = _materialize(repo, config, raise_on_error=False)

    (gate,) = result.get_asset_check_evaluations()
    assert not gate.passed and "high_is_max" in gate.description
    assert {e.asset_key for e in result.get_asset_materialization_events()} == {lake_key("bars")}
    assert _runs(repo, "ingest")[-1].status == "failed"
    assert len(_runs(repo, "transform")) == 1  # not run again
    pd.testing.assert_frame_equal(pd.read_parquet(repo / "data" / "offline" / VIEW), offline_before)


def test_a_bad_file_fails_its_step_once_without_retries(repo: Path):
    bad = bars_frame(30).drop(columns=["volume"])
    path = repo / "incoming" / "no_volume.csv"
    bad.rename(columns={"event_timestamp": "Date", "symbol": "Ticker"}).to_csv(path, index=False)
    before = len(_runs(repo, "ingest"))
    config = {"ops": {"lake__bars": {"config": {"files": [str(path)]}}}}

    result = _materialize(repo, config, raise_on_error=False)

    assert not result.success
    kinds = [e.event_type_value for e in result.all_events]
    assert kinds.count("STEP_FAILURE") == 1 and "STEP_UP_FOR_RETRY" not in kinds
    failed = _runs(repo, "ingest")[before:]
    assert [r.status for r in failed] == ["failed"]
    assert "missing required column 'volume'" in failed[0].error


def _axiom(root: Path, *args: str):  # noqa: ANN202 - click.testing.Result
    from axiom_features.cli.app import cli

    return CliRunner().invoke(cli, ["--repo", str(root), *args])


def test_pipeline_run_status_and_resume_on_the_command_line(repo: Path):
    more = _next_session()
    day = more["event_timestamp"].max().tz_convert("America/New_York").strftime("%Y-%m-%d")
    bad = more.copy()
    bad.loc[bad.index[0], "high"] = bad.loc[bad.index[0], "low"] * 0.9
    bad_file = _vendor_file(repo / "incoming" / "next_bad.csv", bad)
    run = ["pipeline", "run", "--date", day, "--views", VIEW]

    blocked = _axiom(repo, *run, "--bars", str(bad_file), "--block", "high_is_max")
    assert blocked.exit_code == 1
    assert blocked.output.startswith("error: lake/bars quality_gate: ")
    assert "batch blocked by high_is_max" in blocked.output
    stopped = _axiom(repo, "pipeline", "resume")
    assert stopped.exit_code == 1 and "nothing to resume" in stopped.output
    assert "run the session again with a corrected file" in stopped.output

    good_file = _vendor_file(repo / "incoming" / "next.csv", more)
    done = _axiom(repo, *run, "--bars", str(good_file))
    assert done.exit_code == 0, done.output
    status = _axiom(repo, "pipeline", "status")
    assert status.exit_code == 0
    first, second = _runs(repo, "pipeline")
    assert f"{first.run_id}  pipeline  session {day}  failed" in status.output
    assert f"{second.run_id}  pipeline  session {day}  succeeded" in status.output
    assert "transform: succeeded" in status.output and "materialize: succeeded" in status.output
    assert _runs(repo, "ingest")[-1].row_counts["new_rows"] == len(SYMBOLS)

    nothing = _axiom(repo, "pipeline", "resume")
    assert nothing.exit_code == 1
    assert f"nothing to resume: the last pipeline run {second.run_id} succeeded" in nothing.output

    holiday = _axiom(repo, "pipeline", "run", "--date", "2026-11-26")
    assert holiday.exit_code == 1
    assert holiday.output.strip() == "error: 2026-11-26 is not a XNYS trading session"
