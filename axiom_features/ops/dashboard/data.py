"""What the dashboard shows, read from the repo's records and one ``axiom health`` report.

Freshness, "within SLA" and everything under "needs attention" come from the same
:class:`~axiom_features.ops.health.HealthReport` that ``axiom health`` prints, so the page
and the command cannot disagree. The overview reads only small records (latest drift
report per view, alert state, run records, the latest quality verdict); distributions,
which need whylogs profiles, are read on a view's own page.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from axiom_features.ops.health import HealthReport
from axiom_features.ops.monitor import alert_manager, drift_store
from axiom_features.paths import RepoPaths
from axiom_features.pipeline.runs import RunLog
from monitoring.config import MonitoringConfig, load_config
from monitoring.drift import DriftReport
from monitoring.profile_store import ProfileStore
from monitoring.profiling import profile_summary
from monitoring.rollups import window_profile

QUANTILES = ("q_05", "q_25", "median", "q_75", "q_95")
PLOTS_PER_VIEW = 6
RUNS_SHOWN = 15


@dataclass
class ViewStatus:
    name: str
    status: str = "unknown"
    detail: str = "not checked by axiom health"
    within_sla_7d: float | None = None
    drift_share: float | None = None
    dataset_drift: bool = False
    drifted: int = 0


@dataclass
class Attention:
    """One thing an operator should look at: a health finding, an incident, quality."""

    kind: str
    name: str
    status: str
    detail: str
    link: str | None = None


@dataclass
class QualityLine:
    run_id: str
    verdict: str
    """``passed`` only with rule results and no quarantined rows; else what happened."""
    status: str
    rows_in: int | None
    accepted: int | None
    quarantined: int
    rules: dict[str, int]
    """Every rule checked by the latest verdict, with its count of rows (0: none)."""
    import_run: str | None = None


@dataclass
class Overview:
    generated_at: str
    health_checked_at: str
    attention: list[Attention]
    views: list[ViewStatus]
    quality: QualityLine | None
    open_incidents: list[dict[str, Any]]
    runs: list[dict[str, Any]]


@dataclass
class Distribution:
    feature: str
    status: str
    current: dict[str, float]
    reference: dict[str, float]


@dataclass
class ViewPage:
    view: ViewStatus
    drift_history: list[DriftReport]
    distributions: list[Distribution] = field(default_factory=list)


def latest_drift(root: Path) -> dict[str, list[DriftReport]]:
    """Every stored drift report, by view, oldest first."""
    history: dict[str, list[DriftReport]] = {}
    for report in drift_store(root).list():
        history.setdefault(report.feature_view, []).append(report)
    return history


def view_statuses(report: HealthReport, history: dict[str, list[DriftReport]]) -> list[ViewStatus]:
    """One row per view: freshness and SLA share as ``axiom health`` found them, drift."""
    freshness = {c.name: c for c in report.checks if c.kind == "freshness"}
    names = sorted(set(freshness) | set(history))
    views = []
    for name in names:
        status = ViewStatus(name, within_sla_7d=report.sla_history.get(name))
        if name in freshness:
            status.status, status.detail = freshness[name].status, freshness[name].detail
        if history.get(name):
            last = history[name][-1]
            status.drift_share, status.dataset_drift = last.dataset_drift_share, last.dataset_drift
            status.drifted = len(last.drifted_features)
        views.append(status)
    return views


def overview(root: Path, report: HealthReport, config: MonitoringConfig | None = None) -> Overview:
    """The first page: what needs attention, then every view, quality, incidents, runs."""
    config = config or load_config(root)
    paths = RepoPaths(root)
    history = latest_drift(root)
    manager = alert_manager(root, config)
    incidents = sorted(manager.open_incidents(), key=lambda i: i["opened_at"], reverse=True)
    quality = quality_line(paths)
    attention = [
        Attention(c.kind, c.name, c.status, c.detail, _view_link(c))
        for c in report.checks
        if c.status != "ok"
    ]
    critical = [i for i in incidents if i["alert"]["severity"] == "critical"]
    if critical:
        keys = ", ".join(i["alert"]["key"] for i in critical[:5])
        attention.append(
            Attention("alerts", f"{len(critical)} critical incident(s)", "critical", keys, "alerts")
        )
    if quality and quality.verdict != "passed":
        attention.append(Attention("quality", quality.run_id, "warn", quality.verdict))
    order = {"critical": 0, "warn": 1}
    attention.sort(key=lambda a: order.get(a.status, 2))
    runs = [asdict(r) for r in RunLog(paths.runs).list()][-RUNS_SHOWN:][::-1]
    return Overview(
        generated_at=report.checked_at,
        health_checked_at=report.checked_at,
        attention=attention,
        views=view_statuses(report, history),
        quality=quality,
        open_incidents=incidents,
        runs=runs,
    )


def _view_link(check: Any) -> str | None:
    return f"view/{check.name}" if check.kind in ("freshness", "offline") else None


def view_page(root: Path, name: str, report: HealthReport) -> ViewPage | None:
    """A view's own page: its status, its drift over time and its distributions."""
    history = latest_drift(root)
    status = next((v for v in view_statuses(report, history) if v.name == name), None)
    if status is None:
        return None
    reports = history.get(name, [])
    plots = _distributions(ProfileStore(RepoPaths(root).profiles), reports[-1]) if reports else []
    return ViewPage(status, reports[-12:], plots)


def alert_events(root: Path, config: MonitoringConfig | None = None, limit: int = 200) -> list:
    """The latest alert events, newest first."""
    return alert_manager(root, config or load_config(root)).history()[-limit:][::-1]


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


def quality_line(paths: RepoPaths) -> QualityLine | None:
    """The latest quality verdict, with the rows the latest import quarantined.

    The verdict is ``passed`` only when rule results were recorded and neither the verdict
    nor the latest import held rows back; otherwise it says what happened."""
    verdicts = sorted((paths.data / "quality" / "verdicts").glob("*.json"))
    imports = [r for r in RunLog(paths.runs).list("ingest") if "rows_in" in r.row_counts]
    last_import = imports[-1] if imports else None
    if not verdicts and last_import is None:
        return None
    if verdicts:
        verdict = json.loads(verdicts[-1].read_text())
        counts = verdict.get("rule_counts") or {}
        rules = {name: int(counts.get(name, 0)) for name in verdict.get("rules") or {}}
        rules.update({k: int(v) for k, v in counts.items()})
        line = QualityLine(
            run_id=str(verdict.get("run_id")),
            verdict="",
            status=str(verdict.get("status")),
            rows_in=verdict.get("rows_in"),
            accepted=verdict.get("accepted"),
            quarantined=int(verdict.get("quarantined") or 0),
            rules=rules,
        )
    else:
        counts = last_import.row_counts
        line = QualityLine(
            run_id=last_import.run_id,
            verdict="",
            status=last_import.status,
            rows_in=counts.get("rows_in"),
            accepted=counts.get("accepted"),
            quarantined=int(counts.get("quarantined", 0)),
            rules={},
        )
    held_by_import = int(last_import.row_counts.get("quarantined", 0)) if last_import else 0
    if last_import is not None and last_import.run_id != line.run_id:
        line.import_run = last_import.run_id
    if line.quarantined or held_by_import:
        parts = []
        if line.quarantined:
            parts.append(f"{line.quarantined:,} rows quarantined by {line.run_id}")
        if held_by_import and line.import_run:
            parts.append(f"{held_by_import:,} rows quarantined by import {line.import_run}")
        elif held_by_import and not line.quarantined:
            parts.append(f"{held_by_import:,} rows quarantined by {line.run_id}")
        line.verdict = "; ".join(parts)
    elif line.status not in ("passed", "succeeded"):
        line.verdict = line.status
    elif not line.rules:
        line.verdict = "no rule results recorded"
    else:
        line.verdict = "passed"
    return line
