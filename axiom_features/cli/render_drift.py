"""Terminal renderings of monitoring results."""

from __future__ import annotations

from rich.table import Table

from monitoring.drift import DriftReport
from monitoring.root_cause import Incident

STATUS_STYLE = {"drift": "bold red", "possible_drift": "yellow", "no_drift": "green"}


def drift_table(report: DriftReport, only_flagged: bool = True) -> Table:
    """The features of a report that drifted (or possibly drifted), with their scores."""
    cur, ref = report.current, report.reference
    table = Table(
        "feature", "status", "method", "score", "psi", "ks p", "hellinger", "js",
        title=f"drift {report.feature_view}: {cur.get('start')}..{cur.get('end')} vs "
        f"{ref.get('kind', 'reference')} {ref.get('start')}..{ref.get('end')}: "
        f"{report.dataset_drift_share:.0%} of {len(report.checked)} features drifted",
        title_justify="left",
    )  # fmt: skip
    for f in report.features:
        if only_flagged and f.status in ("no_drift", "skipped"):
            continue
        s = f.scores
        table.add_row(
            f.feature,
            f"[{STATUS_STYLE.get(f.status, '')}]{f.status}[/]",
            f.method or "-",
            *[_num(s.get(k)) for k in (f.method, "psi", "ks", "hellinger", "jensen_shannon")],
        )
    return table


def causes_table(incidents: list[Incident], title: str = "drift root causes") -> Table:
    """One row per root cause: severity, the cause's summary, the checks that flagged it."""
    critical = sum(i.severity == "critical" for i in incidents)
    table = Table("severity", "incident", "checks",
                  title=f"{title}: {critical} critical, {len(incidents) - critical} warning",
                  title_justify="left")  # fmt: skip
    for i in incidents:
        style = "bold red" if i.severity == "critical" else "yellow"
        checks = ", ".join(f"{k} {n}" for k, n in i.checks.items())
        table.add_row(f"[{style}]{i.severity}[/]", i.summary, checks)
    return table


def _num(value: object) -> str:
    return f"{value:.4g}" if isinstance(value, float) else "-"
