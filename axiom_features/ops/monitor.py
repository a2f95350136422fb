"""One monitoring pass over a repo: drift of every profiled view, then alerts.

``monitor`` checks each view's latest days (stored day profiles) against its reference,
stores the reports as a time series, evaluates the alert rules on drift, freshness (from a
health check), quality and run records, and delivers new incidents to the configured routes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from axiom_features.ops.health import HealthReport, check_health
from axiom_features.paths import RepoPaths
from axiom_features.pipeline.runs import RunLog
from axiom_features.streaming.status import stream_health
from monitoring.alert_manager import AlertManager
from monitoring.alert_routes import build_route
from monitoring.alerts import Alert, Observations, evaluate
from monitoring.calibrated_check import CalibratedPass, load_windows, prepare_reference, run_pass
from monitoring.config import MonitoringConfig, load_config
from monitoring.daily_profiles import TIME_OF_DAY
from monitoring.drift import DriftReport
from monitoring.drift_check import check_view
from monitoring.drift_store import DriftStore
from monitoring.profile_store import ProfileStore
from monitoring.reference_cache import ReferenceCache
from monitoring.root_cause import TIME_OF_DAY_INPUT, Incident


def stream_observations(root: Path) -> list[dict[str, Any]]:
    """What the stream alert rule reads: each bar stream's lag and dead letters."""
    return [
        {
            "source": status.source,
            "lag": status.group.lag + status.group.pending,
            "dead_letters": status.metrics.dead_letters,
            "dead_letter_rules": status.dead_letter_rules,
        }
        for status, _, _ in stream_health(RepoPaths(root))
    ]


def monitoring_dir(root: Path) -> Path:
    return RepoPaths(root).data / "monitoring"


def drift_store(root: Path) -> DriftStore:
    return DriftStore(monitoring_dir(root) / "drift")


def alert_manager(root: Path, config: MonitoringConfig) -> AlertManager:
    routes = [build_route(route, root) for route in config.alerts.routes]
    return AlertManager(monitoring_dir(root) / "alerts", routes, config.alerts.cooldown)


def profiled_views(root: Path) -> list[str]:
    """Views with stored day profiles."""
    return sorted(
        {r.feature_view for r in ProfileStore(RepoPaths(root).profiles).list(kind="offline_daily")}
    )


def check_drift(
    root: Path,
    *,
    config: MonitoringConfig | None = None,
    views: list[str] | None = None,
    current_end: str | None = None,
    run_id: str | None = None,
) -> list[DriftReport]:
    """Drift of each view's current window against its reference; reports are stored."""
    return check_drift_causes(
        root, config=config, views=views, current_end=current_end, run_id=run_id
    ).reports


def check_drift_causes(
    root: Path,
    *,
    config: MonitoringConfig | None = None,
    views: list[str] | None = None,
    current_end: str | None = None,
    run_id: str | None = None,
) -> CalibratedPass:
    """Drift reports of every view and, with the calibrated method, their root causes."""
    config = config or load_config(root)
    profiles = ProfileStore(RepoPaths(root).profiles)
    store = drift_store(root)
    names = views or profiled_views(root)
    if config.drift_check.method == "calibrated":
        cache = ReferenceCache(monitoring_dir(root) / "references")
        windows = [
            w
            for view in names
            if (w := load_windows(profiles, view, config.drift_check, current_end, cache))
            is not None
        ]
        natures, inputs = catalogue_metadata()
        return run_pass(
            windows, natures, inputs, config.drift_calibrated, run_id=run_id, store=store
        )
    reports = []
    for view in names:
        report = check_view(
            profiles,
            view,
            check=config.drift_check,
            drift=config.drift,
            current_end=current_end,
            run_id=run_id,
            store=store,
        )
        if report is not None:
            reports.append(report)
    return CalibratedPass(reports, [], [])


def catalogue_metadata() -> tuple[dict[str, dict[str, str]], dict[str, tuple[str, ...]]]:
    """Natures (``view -> {feature: nature}``) and inputs (``view:feature -> inputs``)."""
    from transforms.catalogue import catalogue

    views = catalogue().views.values()
    natures = {v.name: {f.name: f.nature for f in v.features} for v in views}
    inputs = {f"{v.name}:{f.name}": f.inputs for v in views for f in v.features}
    for v in views:  # every day profile also carries the feed's time of day
        natures[v.name][TIME_OF_DAY] = "level"
        inputs[f"{v.name}:{TIME_OF_DAY}"] = (TIME_OF_DAY_INPUT,)
    return natures, inputs


def drift_after_materialize(
    root: Path, views: list[str], run_id: str | None = None
) -> list[Alert] | None:
    """The drift check of the views a materialization wrote, when ``monitoring.yaml`` asks
    for it (the default): root causes become alerts at once; incidents of views not
    checked are left open. Returns the alerts delivered, None when switched off."""
    config = load_config(root)
    if not config.drift_after_materialize or config.drift_check.method != "calibrated":
        return None
    profiled = set(profiled_views(root))
    checked = [v for v in views if v in profiled]
    if not checked:
        return []
    result = check_drift_causes(root, config=config, views=checked, run_id=run_id)
    rules = [r for r in config.alerts.rules if r.type == "drift_cause"]
    alerts = evaluate(rules, Observations(drift_causes=result.incidents))
    return alert_manager(root, config).process(alerts, resolve=False)


def prepare_references(root: Path, views: list[str]) -> list[str]:
    """Build the reference summaries the next drift check of ``views`` will read, when a
    materialization checks drift (the calibrated method): the job that stores new day
    profiles moves each reference, so it pays for the summary, and the check after the next
    materialization reads only its current days. Returns the views prepared."""
    config = load_config(root)
    if not config.drift_after_materialize or config.drift_check.method != "calibrated":
        return []
    profiles = ProfileStore(RepoPaths(root).profiles)
    cache = ReferenceCache(monitoring_dir(root) / "references")
    minimum = config.drift_calibrated.min_chunks
    return [
        view
        for view in views
        if prepare_reference(profiles, view, config.drift_check, cache, minimum)
    ]


@dataclass
class MonitorResult:
    run_id: str
    drift: list[DriftReport]
    health: HealthReport | None
    alerts: list[Alert] = field(default_factory=list)
    delivered: list[Alert] = field(default_factory=list)
    causes: list[Incident] = field(default_factory=list)
    """Root causes of this check's drift (calibrated method), critical first."""


def monitor(
    root: Path,
    profile: str = "default",
    *,
    now: datetime | None = None,
    with_health: bool = True,
    config: MonitoringConfig | None = None,
) -> MonitorResult:
    """Drift checks, a health check, alert rules and delivery; recorded as a ``monitor`` run."""
    now = now or datetime.now(UTC)
    config = config or load_config(root)
    log = RunLog(RepoPaths(root).runs)
    with log.track("monitor", parameters={"profile": profile}) as record:
        checked = check_drift_causes(root, config=config, run_id=record.run_id)
        reports = checked.reports
        health = check_health(root, profile, now=now, config=config) if with_health else None
        freshness = [
            {"feature_view": c.name, "status": c.status, "detail": c.detail}
            for c in (health.checks if health else [])
            if c.kind == "freshness"
        ]
        seen = Observations(
            drift=reports,
            freshness=freshness,
            runs=[asdict(r) for r in log.list()],
            drift_causes=checked.incidents,
            streams=stream_observations(root),
        )
        manager = alert_manager(root, config)
        alerts = manager.correlate(evaluate(config.alerts.rules, seen), now)
        delivered = manager.process(alerts, now)
        record.outputs = [f"drift:{r.feature_view}" for r in reports]
        record.row_counts = {"alerts": len(alerts), "delivered": len(delivered)}
    return MonitorResult(record.run_id, reports, health, alerts, delivered, checked.incidents)
