"""What starts runs without a person: a schedule after each session close and a sensor on
the inbox folder.

The schedule ticks every 15 minutes and asks for the newest closed session; its run key is
that date, so each session runs once, whatever its close time (DST, half-days). The sensor
imports each new vendor file once: its run key is the file's content hash, and the hashes
seen are kept in the sensor's cursor, so a renamed or re-delivered copy is not imported again.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

from axiom_features.orchestration.assets import LAKES, lake_key, lake_op
from axiom_features.orchestration.sessions import EXCHANGE, last_closed_session
from axiom_features.paths import RepoPaths

AssetJob = dg.JobDefinition | UnresolvedAssetJobDefinition

TICK = "*/15 * * * *"
"""How often the schedule looks for a newly closed session."""


def inbox(root: Path) -> Path:
    """``data/inbox/<lake>/``: drop a vendor file into its lake's folder to import it."""
    return RepoPaths(root).data / "inbox"


def content_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def session_schedule(job: AssetJob, exchange: str = EXCHANGE) -> dg.ScheduleDefinition:
    """The daily update of each session, started at the first tick after its close."""

    @dg.schedule(name="after_session_close", cron_schedule=TICK, job=job, execution_timezone="UTC")
    def after_close(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        day = last_closed_session(context.scheduled_execution_time, exchange)
        return dg.RunRequest(run_key=f"session-{day}", partition_key=day)

    return after_close


def inbox_sensor(root: Path, job: AssetJob, exchange: str = EXCHANGE) -> dg.SensorDefinition:
    """One import run per new file under ``data/inbox/<lake>/``, keyed by its content."""

    @dg.sensor(name="inbox", job=job, minimum_interval_seconds=60)
    def new_files(context: dg.SensorEvaluationContext) -> dg.SensorResult:
        seen = set(json.loads(context.cursor)) if context.cursor else set()
        requests = []
        day = last_closed_session(datetime.now(UTC), exchange)
        for lake in LAKES:
            folder = inbox(root) / lake
            for path in sorted(folder.glob("*")) if folder.is_dir() else []:
                if not path.is_file() or path.name.startswith("."):
                    continue
                key = content_hash(path)
                if key in seen:
                    continue
                seen.add(key)
                requests.append(
                    dg.RunRequest(
                        run_key=key,
                        partition_key=day,
                        asset_selection=[lake_key(lake)],
                        run_config={"ops": {lake_op(lake): {"config": {"files": [str(path)]}}}},
                        tags={"axiom/file": str(path)},
                    )
                )
        return dg.SensorResult(run_requests=requests, cursor=json.dumps(sorted(seen)))

    return new_files
