"""``axiom health``: freshness against SLAs, offline reachability, registry consistency, runs.

Status per check is ok / warn / critical; the report's status is the worst, and its exit
code 0 / 1 / 2. Every freshness reading is also appended to the freshness log that SLA
history is computed from.

Freshness is read from the online store itself: on Redis from the view's entity hashes
(whatever the offline store is), elsewhere by asking for the offline table's entities. A
crashed run (its process gone or its heartbeat stopped) is reported as interrupted, a view
left in Feast's ``MATERIALIZING`` state by a killed materialization is reported with the
command that clears it, and lake symbols missing from a view's offline table are named.
"""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow.dataset as ds
from feast import FeatureStore, FeatureView, FileSource

from axiom_features.calendar import session_closes
from axiom_features.feature_store import importing_definitions, open_store
from axiom_features.materialize.lifecycle import CLEAR_COMMAND, stuck_views
from axiom_features.offline.coverage import gap_line, missing_symbols
from axiom_features.online.freshness import is_redis, newest_online
from axiom_features.paths import RepoPaths
from axiom_features.pipeline.runs import RunLog
from axiom_features.resilience.errors import describe, is_transient
from axiom_features.streaming.status import stream_health
from monitoring.config import MonitoringConfig, load_config
from monitoring.sla import STATUS_RANK, SessionSLA, check, sla_history


@dataclass
class Check:
    kind: str
    name: str
    status: str
    detail: str


@dataclass
class HealthReport:
    checked_at: str
    checks: list[Check] = field(default_factory=list)
    sla_history: dict[str, float | None] = field(default_factory=dict)

    @property
    def status(self) -> str:
        return max((c.status for c in self.checks), key=STATUS_RANK.__getitem__, default="ok")

    @property
    def exit_code(self) -> int:
        return STATUS_RANK[self.status]

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "exit_code": self.exit_code, **asdict(self)}


def freshness_log(root: Path) -> Path:
    return RepoPaths(root).data / "monitoring" / "freshness.jsonl"


def record_freshness(root: Path, view: str, newest: datetime, observed_at: datetime) -> None:
    """Append one ``(view, observed_at, newest event time)`` reading to the freshness log."""
    path = freshness_log(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = {
        "feature_view": view,
        "observed_at": observed_at.isoformat(),
        "newest": newest.isoformat(),
    }
    with path.open("a") as f:
        f.write(json.dumps(line) + "\n")


def read_freshness(root: Path) -> dict[str, list[tuple[datetime, datetime]]]:
    path = freshness_log(root)
    readings: dict[str, list[tuple[datetime, datetime]]] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            item = json.loads(line)
            readings.setdefault(item["feature_view"], []).append(
                (
                    datetime.fromisoformat(item["observed_at"]),
                    datetime.fromisoformat(item["newest"]),
                )
            )
    return readings


class OnlineStoreUnreachable(Exception):
    """The online store did not answer: every view's freshness check has this finding."""


def check_health(
    root: Path,
    profile: str = "default",
    *,
    now: datetime | None = None,
    config: MonitoringConfig | None = None,
    history_days: float = 7,
) -> HealthReport:
    """Run every health check on the repo at ``root``."""
    now = now or datetime.now(UTC)
    config = config or load_config(root)
    store = open_store(root, profile)
    registered = {v.name: v for v in store.list_feature_views()}
    report = HealthReport(checked_at=now.isoformat())
    report.checks += registry_checks(store, registered)
    report.checks += lifecycle_checks(root, store)
    unreachable: str | None = None  # the online store's connection failure, met once
    for view in registered.values():
        report.checks.append(offline_check(root, view))
        if unreachable is not None:
            report.checks.append(Check("freshness", view.name, "critical", unreachable))
            continue
        try:
            report.checks.append(freshness_check(root, store, view, now, config))
        except OnlineStoreUnreachable as exc:
            unreachable = str(exc)
            report.checks.append(Check("freshness", view.name, "critical", unreachable))
    report.checks += run_checks(root, now)
    report.checks += stream_checks(root)
    readings = read_freshness(root)
    for name, view in registered.items():
        sla = config.sla.for_view(name, (view.tags or {}).get("frequency"))
        start = now - timedelta(days=history_days)
        report.sla_history[name] = sla_history(
            name, sla, readings.get(name, []), start, now, _closes(sla, now, days=history_days + 10)
        )
    return report


def registry_checks(store: FeatureStore, registered: dict[str, FeatureView]) -> list[Check]:
    """Every view defined in ``feature_repo/`` is applied and has been materialized."""
    defined = _defined_views(store)
    checks = [
        Check("registry", name, "critical", "defined in feature_repo/ but not applied")
        for name in sorted(defined - set(registered))
    ]
    checks += [
        Check("registry", name, "warn", "applied but no longer defined in feature_repo/")
        for name in sorted(set(registered) - defined)
    ]
    for name, view in sorted(registered.items()):
        if not view.materialization_intervals:
            checks.append(Check("registry", name, "critical", "applied but never materialized"))
        elif name in defined:
            last = max(end for _, end in view.materialization_intervals)
            checks.append(
                Check("registry", name, "ok", f"materialized up to {last:%Y-%m-%d %H:%M}")
            )
    return checks


def lifecycle_checks(root: Path, store: FeatureStore) -> list[Check]:
    """Views Feast will not serve because a materialization was killed mid-way."""
    stuck = stuck_views(store)
    if not stuck:
        return []
    runs = RunLog(RepoPaths(root).runs).list("materialize")
    if runs and runs[-1].status == "running":
        detail = f"materialization {runs[-1].run_id} in progress"
        return [Check("lifecycle", name, "ok", detail) for name in stuck]
    command = CLEAR_COMMAND.format(views=",".join(stuck))
    detail = "stuck in MATERIALIZING (a materialization was killed); Feast will not serve it: "
    return [Check("lifecycle", name, "critical", f"{detail}run `{command}`") for name in stuck]


def _defined_views(store: FeatureStore) -> set[str]:
    from feast.repo_operations import _get_repo_contents

    root = Path(store.repo_path)
    # Feast prints notes on stdout
    with importing_definitions(root), contextlib.redirect_stdout(io.StringIO()):
        contents = _get_repo_contents(root, store.config.project, store.config)
    return {v.name for v in contents.feature_views}


def offline_check(root: Path, view: FeatureView) -> Check:
    """The view's offline table can be opened and has rows (file sources)."""
    source = view.batch_source
    if not isinstance(source, FileSource):
        return Check("offline", view.name, "ok", f"{type(source).__name__}: not probed")
    path = Path(source.path)
    path = path if path.is_absolute() else root / path
    try:
        rows = ds.dataset(path, format="parquet").count_rows()
    except (OSError, ValueError) as exc:
        return Check("offline", view.name, "critical", f"{path} unreadable: {exc}")
    status = "ok" if rows else "warn"
    detail = f"{rows:,} rows in {path.relative_to(root)}"
    missing = missing_symbols(root, view.name)
    if missing:
        status, detail = "warn", f"{detail}; {gap_line(view.name, missing)}"
    return Check("offline", view.name, status, detail)


def _entities(root: Path, view: FeatureView) -> list[dict[str, Any]]:
    source = view.batch_source
    keys = [c.name for c in view.entity_columns]
    if not isinstance(source, FileSource) or len(keys) != 1:
        return []
    path = Path(source.path)
    path = path if path.is_absolute() else root / path
    try:
        values = ds.dataset(path, format="parquet").to_table(columns=keys).column(0).unique()
    except (OSError, ValueError):
        return []
    return [{keys[0]: v} for v in values.to_pylist()]


def newest_online_event(root: Path, store: FeatureStore, view: FeatureView) -> datetime | None:
    """The newest event time of ``view`` in the online store: on Redis from every entity
    hash the view wrote, elsewhere among the offline table's entities."""
    if is_redis(store):
        return newest_online(store, view)[0]
    entities = _entities(root, view)
    if not entities or not view.features:
        return None
    feature = f"{view.name}:{view.features[0].name}"
    response = store.get_online_features(features=[feature], entity_rows=entities)
    stamps = [s for s in response.to_dict(include_event_timestamps=True).get(
        f"{view.features[0].name}__ts", []) if s]  # fmt: skip
    return datetime.fromtimestamp(max(stamps), UTC) if stamps else None


def freshness_check(
    root: Path, store: FeatureStore, view: FeatureView, now: datetime, config: MonitoringConfig
) -> Check:
    sla = config.sla.for_view(view.name, (view.tags or {}).get("frequency"))
    try:
        newest = newest_online_event(root, store, view)
    except Exception as exc:  # an unreachable store is this check's finding, not a crash
        if is_transient(exc):  # the same for every view: asked once, not per view
            raise OnlineStoreUnreachable(f"online store: {describe(exc)}") from exc
        return Check("freshness", view.name, "critical", f"online store: {describe(exc)}")
    if newest is not None:
        record_freshness(root, view.name, newest, now)
    result = check(view.name, sla, newest, now, _closes(sla, now))
    return Check("freshness", view.name, result.status, f"{result.detail} (SLA {result.sla})")


def _closes(sla: Any, now: datetime, days: float = 30):  # noqa: ANN202 - DatetimeIndex | None
    if not isinstance(sla, SessionSLA):
        return None
    sessions = max(int(days * 5 / 7) + 1, sla.sessions + 2)
    return session_closes(now, sessions, sla.calendar)


def stream_checks(root: Path) -> list[Check]:
    """Each bar stream's lag, bars/s, latency and dead letters (none without a stream)."""
    return [
        Check("stream", status.source, verdict, detail)
        for status, verdict, detail in stream_health(RepoPaths(root))
    ]


CONTINUES: dict[str, str] = {"pipeline resume": "pipeline"}
"""Commands that finish another job's run: their outcome is that job's latest."""
RESUMED_BY: dict[str, str] = {"pipeline": "pipeline resume"}
"""Jobs resumed by a command of their own rather than by running them again."""


def run_checks(root: Path, now: datetime) -> list[Check]:
    """The latest run of each job: failed or interrupted (process gone, heartbeat stopped)
    → warn, naming the rerun that resumes it; succeeded with warnings → warn."""
    latest: dict[str, Any] = {}
    for record in RunLog(RepoPaths(root).runs).list():
        latest[CONTINUES.get(record.command, record.command)] = record
    checks = []
    for command, record in sorted(latest.items()):
        if record.status == "failed":
            checks.append(Check("runs", command, "warn", f"{record.run_id} failed: {record.error}"))
        elif record.status == "interrupted":
            rerun = RESUMED_BY.get(command, command)
            detail = f"{record.run_id} {record.error}; rerun `axiom {rerun}` to resume"
            checks.append(Check("runs", command, "warn", detail))
        elif record.warnings:
            detail = f"{record.run_id} {record.status}; " + "; ".join(record.warnings[:3])
            checks.append(Check("runs", command, "warn", detail))
        else:
            checks.append(Check("runs", command, "ok", f"{record.run_id} {record.status}"))
    return checks
