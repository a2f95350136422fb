"""Alert rules: drift, quality failures, freshness breaches, pipeline failures, metric anomalies.

Each rule is a typed config (``type: Literal[...]``) and turns observations into
:class:`Alert` s. An alert's ``key`` names the incident (rule and subject, never a time or a
run id), so the same problem seen again is recognised as the same incident.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from monitoring.drift import DriftReport
from monitoring.root_cause import Incident

Severity = Literal["info", "warning", "critical"]
SEVERITY_RANK: dict[str, int] = {"info": 0, "warning": 1, "critical": 2}


@dataclass
class Alert:
    """One firing condition."""

    key: str
    rule: str
    severity: Severity
    title: str
    message: str
    subject: str
    value: float | None = None
    fired_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    labels: dict[str, str] = field(default_factory=dict)
    features: list[str] = field(default_factory=list)
    """``view:feature`` of every feature the condition covers (a drift cause's findings):
    two alerts sharing one are one incident, whatever their keys."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Observations:
    """What the rules look at; any part may be empty."""

    drift: Sequence[DriftReport] = ()
    freshness: Sequence[Mapping[str, Any]] = ()
    """Per view: ``feature_view``, ``status`` (ok / warn / critical), ``detail``."""
    runs: Sequence[Mapping[str, Any]] = ()
    """Run records as dicts, oldest first."""
    drift_causes: Sequence[Incident] = ()
    """Root causes of the calibrated drift check, one per input at fault."""
    streams: Sequence[Mapping[str, Any]] = ()
    """Per bar stream: ``source``, ``lag`` (bars not yet delivered), ``dead_letters``."""


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    severity: Severity = "warning"
    """Severity of the alerts this rule raises."""


class DriftRule(_Rule):
    """A feature that drifts; a view whose share of drifted features makes it drift."""

    type: Literal["drift"] = "drift"
    """Rule type selector."""

    per_feature: bool = True
    """Alert on each drifted feature (key ``drift:<view>:<feature>``)."""

    dataset_severity: Severity = "critical"
    """Severity of ``dataset_drift:<view>`` when the view's drift share crosses its threshold."""


class DriftCauseRule(_Rule):
    """One alert per root cause of the calibrated drift check (key ``drift_cause:<input>``)."""

    type: Literal["drift_cause"] = "drift_cause"
    """Rule type selector."""

    severity: Severity = "critical"
    """Severity of a cause with a data-quality change; distribution-only causes warn."""


class QualityRule(_Rule):
    """Import runs that hold back too large a share of rows."""

    type: Literal["quality"] = "quality"
    """Rule type selector."""

    max_quarantined_share: float = Field(default=0.01, ge=0, le=1)
    """Alert when the latest import quarantines more than this share of its rows."""


class FreshnessRule(_Rule):
    """Views whose newest online row is older than their SLA."""

    type: Literal["freshness"] = "freshness"
    """Rule type selector."""

    severity: Severity = "critical"
    """Severity of a breach; a warning state raises a ``warning``."""


class PipelineRule(_Rule):
    """Jobs whose latest run failed or was interrupted (its process died)."""

    type: Literal["pipeline"] = "pipeline"
    """Rule type selector."""

    severity: Severity = "critical"
    """Severity of a failed run."""


class MetricAnomalyRule(_Rule):
    """A run metric far from its history: robust z-score (median, MAD) of the latest run."""

    type: Literal["metric_anomaly"] = "metric_anomaly"
    """Rule type selector."""

    metric: str = "rows_written"
    """A numeric run-record field (``rows_written``, ``wall_seconds``, …) or
    ``row_counts.<name>``."""

    max_z: float = Field(default=5.0, gt=0)
    """Alert when |latest - median| / (1.4826 MAD) exceeds this."""

    min_history: int = Field(default=5, ge=2)
    """Runs of the same command needed before the latest is judged."""


class StreamRule(_Rule):
    """A bar stream whose consumers fall behind, or that dead-letters bars."""

    type: Literal["stream"] = "stream"
    """Rule type selector."""

    severity: Severity = "critical"
    """Severity of a lag above ``max_lag``; dead letters warn."""

    max_lag: int = Field(default=5_000, ge=0)
    """Alert (key ``stream_lag:<source>``) when more bars than this wait for the consumers."""

    max_dead_letters: int = Field(default=0, ge=0)
    """Alert (key ``stream_dead_letters:<source>``) above this many dead-lettered bars."""


RuleConfig = Annotated[
    DriftRule
    | DriftCauseRule
    | QualityRule
    | FreshnessRule
    | PipelineRule
    | MetricAnomalyRule
    | StreamRule,
    Field(discriminator="type"),
]

DEFAULT_RULES: list[Any] = [
    DriftRule(),
    DriftCauseRule(),
    QualityRule(),
    FreshnessRule(),
    PipelineRule(),
    MetricAnomalyRule(),
    StreamRule(),
]


def evaluate(rules: Iterable[Any], seen: Observations) -> list[Alert]:
    """Every alert the rules raise on ``seen``."""
    alerts: list[Alert] = []
    for rule in rules:
        alerts += RULE_FUNCTIONS[rule.type](rule, seen)
    return alerts


def _drift(rule: DriftRule, seen: Observations) -> list[Alert]:
    alerts = []
    for report in seen.drift:
        if report.meta.get("method") == "calibrated":
            continue  # judged by root cause (DriftCauseRule), not feature by feature
        view = report.feature_view
        window = f"{report.current.get('start', '?')}..{report.current.get('end', '?')}"
        if rule.per_feature:
            for f in report.features:
                if f.drifted:
                    value = f.scores.get(f.method) if f.method else None
                    alerts.append(
                        Alert(
                            key=f"drift:{view}:{f.feature}",
                            rule="drift",
                            severity=rule.severity,
                            title=f"{view}:{f.feature} drifted",
                            message=f"{f.method} = {value:.4g} (threshold {f.threshold}) "
                            f"over {window} against the reference",
                            subject=f"{view}:{f.feature}",
                            value=value,
                            labels={"feature_view": view, "feature": f.feature},
                        )
                    )
        if report.dataset_drift:
            alerts.append(
                Alert(
                    key=f"dataset_drift:{view}",
                    rule="drift",
                    severity=rule.dataset_severity,
                    title=f"{view}: {report.dataset_drift_share:.0%} of features drifted",
                    message=f"drifted: {', '.join(report.drifted_features)} over {window}",
                    subject=view,
                    value=report.dataset_drift_share,
                    labels={"feature_view": view},
                )
            )
    return alerts


def _drift_cause(rule: DriftCauseRule, seen: Observations) -> list[Alert]:
    return [
        Alert(
            key=incident.key,
            rule="drift_cause",
            severity=rule.severity if incident.severity == "critical" else "warning",
            title=incident.summary,
            message=f"{len(incident.features)} feature(s): "
            + ", ".join(incident.features[:20])
            + (" …" if len(incident.features) > 20 else "")
            + "; checks: "
            + ", ".join(f"{k} {n}" for k, n in incident.checks.items()),
            subject=incident.cause,
            value=float(len(incident.features)),
            labels={"cause": incident.cause, "feature_view": incident.features[0].split(":", 1)[0]},
            features=list(incident.features),
        )
        for incident in seen.drift_causes
    ]


def _latest_by_command(runs: Sequence[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    latest: dict[str, Mapping[str, Any]] = {}
    for run in runs:
        if run.get("status") != "running":
            latest[run["command"]] = run
    return latest


def _quality(rule: QualityRule, seen: Observations) -> list[Alert]:
    imports = [r for r in seen.runs if "quarantined" in r.get("row_counts", {})]
    if not imports:
        return []
    run = imports[-1]
    counts = run["row_counts"]
    share = counts["quarantined"] / counts["rows_in"] if counts.get("rows_in") else 0.0
    if share <= rule.max_quarantined_share:
        return []
    return [
        Alert(
            key=f"quality:{run['command']}:quarantined_share",
            rule="quality",
            severity=rule.severity,
            title=f"{run['command']} quarantined {share:.1%} of rows",
            message=f"run {run['run_id']}: {counts['quarantined']:,} of {counts['rows_in']:,} "
            f"rows failed quality rules (limit {rule.max_quarantined_share:.1%})",
            subject=run["command"],
            value=share,
            labels={"run_id": run["run_id"]},
        )
    ]


def _freshness(rule: FreshnessRule, seen: Observations) -> list[Alert]:
    alerts = []
    for item in seen.freshness:
        status = item["status"]
        if status == "ok":
            continue
        view = item["feature_view"]
        alerts.append(
            Alert(
                key=f"freshness:{view}",
                rule="freshness",
                severity=rule.severity if status == "critical" else "warning",
                title=f"{view} is stale" if status == "critical" else f"{view} is ageing",
                message=str(item.get("detail", "")),
                subject=view,
                labels={"feature_view": view},
            )
        )
    return alerts


def _pipeline(rule: PipelineRule, seen: Observations) -> list[Alert]:
    return [
        Alert(
            key=f"pipeline:{command}",
            rule="pipeline",
            severity=rule.severity,
            title=f"{command} {run['status']}",
            message=f"run {run['run_id']} {run['status']}: "
            f"{run.get('error') or 'no error recorded'}",
            subject=command,
            labels={"run_id": run["run_id"]},
        )
        for command, run in _latest_by_command(seen.runs).items()
        if run.get("status") in ("failed", "interrupted")
    ]


def _metric(run: Mapping[str, Any], name: str) -> float | None:
    value: Any = run
    for part in name.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return float(value) if isinstance(value, int | float) else None


def _anomaly(rule: MetricAnomalyRule, seen: Observations) -> list[Alert]:
    alerts = []
    finished = [r for r in seen.runs if r.get("status") == "succeeded"]
    for command in dict.fromkeys(r["command"] for r in finished):
        values = [
            (r, v)
            for r in finished
            if r["command"] == command and (v := _metric(r, rule.metric)) is not None
        ]
        if len(values) <= rule.min_history:
            continue
        history = [v for _, v in values[:-1]]
        run, latest = values[-1]
        centre = statistics.median(history)
        spread = 1.4826 * statistics.median(abs(v - centre) for v in history)
        z = (
            abs(latest - centre) / spread
            if spread > 0
            else (0.0 if latest == centre else float("inf"))
        )
        if z > rule.max_z:
            alerts.append(
                Alert(
                    key=f"anomaly:{command}:{rule.metric}",
                    rule="metric_anomaly",
                    severity=rule.severity,
                    title=f"{command}: unusual {rule.metric}",
                    message=f"run {run['run_id']}: {rule.metric} = {latest:,.4g}, usual "
                    f"{centre:,.4g} (robust z {z:.1f} > {rule.max_z})",
                    subject=command,
                    value=latest,
                    labels={"run_id": run["run_id"]},
                )
            )
    return alerts


def _stream(rule: StreamRule, seen: Observations) -> list[Alert]:
    alerts = []
    for item in seen.streams:
        source = str(item["source"])
        lag, dead = int(item.get("lag", 0)), int(item.get("dead_letters", 0))
        if lag > rule.max_lag:
            alerts.append(
                Alert(
                    key=f"stream_lag:{source}",
                    rule="stream",
                    severity=rule.severity,
                    title=f"stream {source} is {lag:,} bars behind",
                    message=f"{lag:,} bars wait for the consumers (limit {rule.max_lag:,})",
                    subject=source,
                    value=float(lag),
                    labels={"source": source},
                )
            )
        if dead > rule.max_dead_letters:
            alerts.append(
                Alert(
                    key=f"stream_dead_letters:{source}",
                    rule="stream",
                    severity="warning",
                    title=f"stream {source} dead-lettered {dead:,} bars",
                    message=str(item.get("dead_letter_rules") or ""),
                    subject=source,
                    value=float(dead),
                    labels={"source": source},
                )
            )
    return alerts


RULE_FUNCTIONS = {
    "drift": _drift,
    "drift_cause": _drift_cause,
    "quality": _quality,
    "freshness": _freshness,
    "pipeline": _pipeline,
    "metric_anomaly": _anomaly,
    "stream": _stream,
}
