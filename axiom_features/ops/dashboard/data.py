"""Everything the dashboard shows, read from the repo's records (no Feast, no network)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from axiom_features.ops.health import _closes, read_freshness
from axiom_features.ops.monitor import alert_manager, drift_store
from axiom_features.paths import RepoPaths
from axiom_features.pipeline.runs import RunLog
from monitoring.config import MonitoringConfig, load_config
from monitoring.drift import DriftReport
from monitoring.profile_store import ProfileStore
from monitoring.profiling import profile_summary
from monitoring.rollups import window_profile
from monitoring.sla import check, sla_history

QUANTILES = ("q_05", "q_25", "median", "q_75", "q_95")
PLOTS_PER_VIEW = 6


@dataclass
class ViewStatus:
    name: str
    newest_event: str | None = None
    sla: str = "-"
    status: str = "unknown"
    detail: str = "no freshness reading yet"
    within_sla_7d: float | None = None
    drift_share: float | None = None
    dataset_drift: bool = False


@dataclass
class Distribution:
    feature: str
    status: str
    current: dict[str, float]
    reference: dict[str, float]


@dataclass
class DashboardData:
    generated_at: str
    views: list[ViewStatus]
    drift_history: dict[str, list[DriftReport]]
    distributions: dict[str, list[Distribution]]
    quality: dict[str, Any] | None
    alerts: list[dict[str, Any]]
    runs: list[dict[str, Any]]
    open_incidents: list[dict[str, Any]] = field(default_factory=list)


def collect(
    root: Path, now: datetime | None = None, config: MonitoringConfig | None = None
) -> DashboardData:
    """Read freshness, drift, profiles, quality, alerts and runs of the repo at ``root``."""
    now = now or datetime.now(UTC)
    config = config or load_config(root)
    paths = RepoPaths(root)
    history = {}
    for report in drift_store(root).list():
        history.setdefault(report.feature_view, []).append(report)
    readings = read_freshness(root)
    names = sorted(set(readings) | set(history) | _offline_views(paths))
    views = [_view_status(name, readings.get(name, []), history.get(name, []), now, config)
             for name in names]  # fmt: skip
    profiles = ProfileStore(paths.profiles)
    distributions = {v: _distributions(profiles, reports[-1]) for v, reports in history.items()}
    manager = alert_manager(root, config)
    runs = [asdict(r) for r in RunLog(paths.runs).list()][-30:]
    return DashboardData(
        generated_at=now.isoformat(timespec="seconds"),
        views=views,
        drift_history=history,
        distributions=distributions,
        quality=_latest_quality(paths),
        alerts=manager.history()[-50:][::-1],
        runs=runs[::-1],
        open_incidents=manager.open_incidents(),
    )


def _offline_views(paths: RepoPaths) -> set[str]:
    return (
        {p.name for p in paths.offline.iterdir() if p.is_dir()} if paths.offline.is_dir() else set()
    )


def _view_status(name: str, readings: list, reports: list[DriftReport], now: datetime,
                 config: MonitoringConfig) -> ViewStatus:  # fmt: skip
    status = ViewStatus(name)
    sla = config.sla.for_view(name)
    if readings:
        newest = max(n for _, n in readings)
        closes = _closes(sla, now)
        result = check(name, sla, newest, now, closes)
        status.newest_event, status.sla = result.newest_event, result.sla
        status.status, status.detail = result.status, result.detail
        status.within_sla_7d = sla_history(
            name, sla, readings, now - timedelta(days=7), now, _closes(sla, now, days=17)
        )
    if reports:
        status.drift_share = reports[-1].dataset_drift_share
        status.dataset_drift = reports[-1].dataset_drift
    return status


def _distributions(profiles: ProfileStore, report: DriftReport) -> list[Distribution]:
    """Quantiles of the flagged (else the first) features, current window against reference."""
    ranked = sorted(
        report.checked, key=lambda f: {"drift": 0, "possible_drift": 1}.get(f.status, 2)
    )
    chosen = ranked[:PLOTS_PER_VIEW]
    cur, ref = report.current, report.reference
    if not chosen or not cur.get("start") or not ref.get("start"):
        return []
    current = window_profile(profiles, report.feature_view, cur["start"], cur["end"])
    reference = window_profile(profiles, report.feature_view, ref["start"], ref["end"])
    if current is None or reference is None:
        return []
    cur_sum, ref_sum = profile_summary(current.profile), profile_summary(reference.profile)
    return [
        Distribution(
            f.feature,
            f.status,
            {q: float(cur_sum.loc[f.feature, q]) for q in QUANTILES},
            {q: float(ref_sum.loc[f.feature, q]) for q in QUANTILES},
        )
        for f in chosen
        if f.feature in cur_sum.index and f.feature in ref_sum.index
    ]


def _latest_quality(paths: RepoPaths) -> dict[str, Any] | None:
    """The newest quality verdict, else the newest import run's counts."""
    verdicts = sorted((paths.data / "quality" / "verdicts").glob("*.json"))
    if verdicts:
        verdict = json.loads(verdicts[-1].read_text())
        rows_in = verdict.get("rows_in") or 0
        score = verdict.get("accepted", 0) / rows_in if rows_in else None
        return {"run_id": verdict.get("run_id"), "status": verdict.get("status"), "score": score,
                "rule_counts": verdict.get("rule_counts", {})}  # fmt: skip
    imports = [r for r in RunLog(paths.runs).list("ingest") if "rows_in" in r.row_counts]
    if not imports:
        return None
    counts = imports[-1].row_counts
    score = counts.get("accepted", 0) / counts["rows_in"] if counts["rows_in"] else None
    return {"run_id": imports[-1].run_id, "status": imports[-1].status, "score": score,
            "rule_counts": {"quarantined": counts.get("quarantined", 0)}}  # fmt: skip
