"""``axiom pipeline run | resume | status`` as functions: the daily job executed in this
process on the repository's Dagster instance, each run also kept as a run record.

A ``pipeline`` record holds the session, the files and the Dagster run (tag
``axiom/pipeline_run``); every step leaves its own job's record as well. A process killed
mid-run leaves its records ``running``, read back as ``interrupted``; ``resume`` marks the
Dagster run failed and re-executes it from the failure: steps that finished are not run
again, the others (each idempotent) are.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg

from axiom_features.lineage.hooks import recorded_log
from axiom_features.orchestration.assets import (
    DRIFT,
    LAKES,
    lake_key,
    lake_op,
    offline_key,
    online_key,
)
from axiom_features.orchestration.instance import dagster_home, open_instance
from axiom_features.orchestration.location import (
    PROFILE_VARIABLE,
    REPO_VARIABLE,
    WORKERS_VARIABLE,
    daily_update_job,
)
from axiom_features.orchestration.sessions import last_closed_session, session_close
from axiom_features.paths import RepoPaths
from axiom_features.pipeline.runs import RunLog, RunRecord

COMMANDS = ("pipeline", "pipeline resume")
RUN_TAG = "axiom/pipeline_run"
RESUMES_TAG = "axiom/resumes"
UNFINISHED = {
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.QUEUED,
}


class PipelineFailed(RuntimeError):
    """A step failed (after its retries) or a blocking check stopped the run."""


@dataclass
class PipelineRun:
    """One ``pipeline`` run: its record, its Dagster run and each step's outcome."""

    run_id: str
    command: str
    status: str
    day: str | None
    dagster_run_id: str | None
    steps: dict[str, str] = field(default_factory=dict)
    """Step → succeeded, failed, skipped or in progress (a step a killed run was in)."""
    error: str | None = None
    started_at: str | None = None
    ended_at: str | None = None


def run_pipeline(
    root: Path,
    profile: str = "default",
    *,
    day: str | None = None,
    files: dict[str, list[Path]] | None = None,
    views: list[str] | None = None,
    block: list[str] | None = None,
    workers: int = 1,
) -> PipelineRun:
    """Run the daily job of session ``day`` (default: the newest closed session) for
    ``views`` (default: all), importing ``files`` (lake → paths) first, bar rules ``block``
    blocking the batch; raises :class:`PipelineFailed` naming the failed step or check."""
    from transforms.catalogue import catalogue

    day = day or last_closed_session(datetime.now(UTC))
    chosen = [v.name for v in catalogue().select(views)] if views else None
    session_close(day)  # an unknown session is refused before anything runs
    files = {lake: [Path(p).resolve() for p in paths] for lake, paths in (files or {}).items()}
    for lake, paths in files.items():
        if lake not in LAKES:
            raise ValueError(f"unknown lake {lake!r}; known: {', '.join(LAKES)}")
        for path in paths:
            if not path.is_file():
                raise FileNotFoundError(f"{path}: no such file")
    named = {lake: [str(p) for p in paths] for lake, paths in files.items()}
    run_config = run_config_of(named, block or [])
    params = {
        "day": day,
        "profile": profile,
        "workers": workers,
        "views": chosen,
        "files": named,
        "block": block or [],
    }
    with recorded_log(root).track("pipeline", parameters=params) as record:
        _execute(
            root,
            profile,
            workers,
            record,
            run_config=run_config,
            day=day,
            selection=selection_of(chosen),
        )
    return pipeline_run(root, record.run_id, profile)


LOG_LEVEL = "CRITICAL"
"""Dagster's console log level for runs started here: the command prints its own outcome;
every event stays in the instance (`axiom pipeline ui`)."""


def run_config_of(files: dict[str, list[str]], block: list[str]) -> dict:
    """The run config importing ``files`` (lake → paths) with bar rules ``block`` blocking,
    Dagster's console kept quiet."""
    ops: dict = {lake_op(lake): {"config": {"files": paths}} for lake, paths in files.items()}
    if block:
        ops.setdefault(lake_op("bars"), {"config": {"files": []}})["config"]["block"] = block
    return {
        "ops": ops,
        "loggers": {"console": {"config": {"log_level": LOG_LEVEL}}},
    }


def selection_of(views: list[str] | None) -> list[dg.AssetKey] | None:
    """The lakes, ``views``' offline and online assets and drift (None: every asset)."""
    if views is None:
        return None
    return [
        *(lake_key(lake) for lake in LAKES),
        *(offline_key(v) for v in views),
        *(online_key(v) for v in views),
        DRIFT,
    ]


def resume_pipeline(root: Path, profile: str = "default", *, workers: int = 1) -> PipelineRun:
    """Finish the newest pipeline run that failed or was interrupted: its Dagster run is
    re-executed from the failure (a run killed before Dagster started is run again whole)."""
    last = _latest(RunLog(RepoPaths(root).runs))
    if last is None:
        raise ValueError(f"no pipeline run to resume in {root}")
    if last.status not in ("failed", "interrupted"):
        raise ValueError(f"nothing to resume: the last pipeline run {last.run_id} {last.status}")
    instance = open_instance(root, profile)
    parent = _dagster_run(instance, last.run_id)
    if parent is not None and blocked_checks(instance, parent.run_id):
        raise ValueError(
            f"nothing to resume: pipeline run {last.run_id} was stopped by {last.error}; "
            "run the session again with a corrected file"
        )
    day = last.parameters.get("day")
    params = {
        "resumes": last.run_id,
        "day": day,
        "profile": profile,
        "workers": workers,
        "dagster_parent": parent.run_id if parent else None,
    }
    with recorded_log(root).track("pipeline resume", parameters=params) as record:
        if parent is None:
            given = last.parameters
            run_config = run_config_of(given.get("files") or {}, given.get("block") or [])
            _execute(
                root,
                profile,
                workers,
                record,
                run_config=run_config,
                day=day,
                selection=selection_of(last.parameters.get("views")),
            )
        else:
            if parent.status in UNFINISHED:
                instance.report_run_failed(
                    parent,
                    f"the process of pipeline run {last.run_id} "
                    f"died ({last.error or 'interrupted'})",
                )
            options = dg.ReexecutionOptions.from_failure(parent.run_id, instance)
            _execute(root, profile, workers, record, day=day, reexecution=options)
    return pipeline_run(root, record.run_id, profile)


def _execute(
    root: Path,
    profile: str,
    workers: int,
    record: RunRecord,
    *,
    run_config: dict | None = None,
    day: str | None = None,
    selection: list[dg.AssetKey] | None = None,
    reexecution: dg.ReexecutionOptions | None = None,
) -> None:
    instance = open_instance(root, profile)
    tags = {RUN_TAG: record.run_id}
    if day:
        tags["dagster/partition"] = day
    with _location_environment(root, profile, workers):
        result = dg.execute_job(
            dg.reconstructable(daily_update_job),
            instance,
            run_config=run_config,
            tags=tags,
            reexecution_options=reexecution,
            asset_selection=selection,
        )
    record.parameters["dagster_run_id"] = result.run_id
    steps = step_outcomes(instance, result.run_id)
    record.outputs = [f"step:{s}" for s, state in steps.items() if state == "succeeded"]
    failed = failure_lines(instance, result.run_id)
    blocked = blocked_checks(instance, result.run_id)
    if not result.success or blocked:
        raise PipelineFailed("; ".join(failed + blocked) or f"dagster run {result.run_id} failed")


@contextmanager
def _location_environment(root: Path, profile: str, workers: int) -> Iterator[None]:
    """The variables the code location is built from, for the length of one execution."""
    wanted = {
        REPO_VARIABLE: str(root.resolve()),
        PROFILE_VARIABLE: profile,
        WORKERS_VARIABLE: str(workers),
        "DAGSTER_HOME": str(dagster_home(root, profile)),
    }
    before = {k: os.environ.get(k) for k in wanted}
    os.environ.update(wanted)
    try:
        yield
    finally:
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


STEP_STATES = {
    "SUCCESS": "succeeded",
    "FAILURE": "failed",
    "SKIPPED": "skipped",
    "IN_PROGRESS": "in progress",
}


def step_outcomes(instance: dg.DagsterInstance, dagster_run_id: str) -> dict[str, str]:
    """Each step of a Dagster run → its outcome."""
    return {
        stat.step_key: STEP_STATES.get(stat.status.value, stat.status.value.lower())
        if stat.status is not None
        else "in progress"
        for stat in instance.get_run_step_stats(dagster_run_id)
    }


def failure_lines(instance: dg.DagsterInstance, dagster_run_id: str) -> list[str]:
    """``<step>: <error>`` for each failed step of a Dagster run (a step failed only by its
    blocking check is told by :func:`blocked_checks`)."""
    lines = []
    for entry in instance.all_logs(dagster_run_id, of_type=dg.DagsterEventType.STEP_FAILURE):
        event = entry.dagster_event
        error = event.step_failure_data.error if event else None
        if error is not None and error.cls_name == "DagsterAssetCheckFailedError":
            continue
        message = error.message.strip().splitlines()[0] if error and error.message else "failed"
        lines.append(f"{event.step_key if event else '?'}: {message}")
    return lines


def blocked_checks(instance: dg.DagsterInstance, dagster_run_id: str) -> list[str]:
    """``<asset> <check>: <why>`` for each failed blocking check (its downstream did not run)."""
    lines = []
    for entry in instance.all_logs(
        dagster_run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
    ):
        data = entry.dagster_event.event_specific_data if entry.dagster_event else None
        if data is None or data.passed or not data.blocking:
            continue
        text = data.description or "failed"
        lines.append(f"{data.asset_key.to_user_string()} {data.check_name}: {text}")
    return lines


def _latest(log: RunLog) -> RunRecord | None:
    records = [r for r in log.list() if r.command in COMMANDS]
    return records[-1] if records else None


def _dagster_run(instance: dg.DagsterInstance, run_id: str) -> dg.DagsterRun | None:
    runs = instance.get_runs(filters=dg.RunsFilter(tags={RUN_TAG: run_id}), limit=1)
    return runs[0] if runs else None


def pipeline_run(root: Path, run_id: str, profile: str = "default") -> PipelineRun:
    """What the record and the Dagster run of pipeline run ``run_id`` say."""
    record = RunLog(RepoPaths(root).runs).read(run_id)
    return _describe(root, record, open_instance(root, profile))


def pipeline_runs(root: Path, limit: int = 10, profile: str = "default") -> list[PipelineRun]:
    """The newest ``limit`` pipeline runs (and resumes), oldest first."""
    records = [r for r in RunLog(RepoPaths(root).runs).list() if r.command in COMMANDS]
    if not records:
        return []
    instance = open_instance(root, profile)
    return [_describe(root, r, instance) for r in records[-limit:]]


def _describe(root: Path, record: RunRecord, instance: dg.DagsterInstance) -> PipelineRun:
    run = _dagster_run(instance, record.run_id)
    return PipelineRun(
        run_id=record.run_id,
        command=record.command,
        status=record.status,
        day=record.parameters.get("day"),
        dagster_run_id=run.run_id if run else None,
        steps=step_outcomes(instance, run.run_id) if run else {},
        error=record.error,
        started_at=record.started_at,
        ended_at=record.ended_at,
    )
