"""A quality report as a terminal summary (rich) and as a standalone HTML page."""

from __future__ import annotations

import html
from collections.abc import Iterator

from rich.console import RenderableType
from rich.table import Table

from axiom_features.quality.report import QualityReport

DIMENSION_KEYS = ("completeness", "consistency", "accuracy", "uniqueness", "timeliness")


def _fmt(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4f}" if value <= 1 else f"{value:,.2f}"
    return str(value)


def terminal(report: QualityReport) -> Iterator[RenderableType]:
    v = report.verdict
    head = Table(title=f"quality report {report.run_id}", show_header=False, title_justify="left")
    head.add_column(style="bold")
    head.add_column()
    head.add_row("status", v["status"])
    for key in ("rows_in", "accepted", "quarantined", "warned"):
        head.add_row(key, f"{v.get(key, 0):,}")
    if report.metrics:
        head.add_row("score (0-100)", _fmt(report.metrics["score"]))
        for key in DIMENSION_KEYS:
            head.add_row(f"  {key}", _fmt(report.metrics.get(key)))
    if report.blocked:
        head.add_row("blocked", report.block_line())
    yield head

    rules = Table("rule", "severity", "rows", "example", title="rules failed", title_justify="left")
    for name, count in v.get("rule_counts", {}).items():
        severity = v.get("rules", {}).get(name, {}).get("severity", "quarantine")
        example = (v.get("examples", {}).get(name) or [{}])[0]
        where = f"{example.get('file')}:{example.get('line')}" if example else ""
        rules.add_row(name, severity, f"{count:,}", where)
    yield rules

    counts = report.finding_counts()
    if counts:
        yield Table.grid()
        outliers = Table("detector", "findings", title="outliers", title_justify="left")
        for name, n in counts.items():
            outliers.add_row(name, f"{n:,}")
        yield outliers
    if len(report.anomalies):
        anomalies = Table("metric", "value", "method", "expected", title="metric anomalies")
        for row in report.anomalies.itertuples():
            anomalies.add_row(row.metric, _fmt(row.value), row.method, f"{row.lower}..{row.upper}")
        yield anomalies


def to_html(report: QualityReport) -> str:
    """A self-contained HTML page of the report."""
    e = html.escape
    v = report.verdict
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>Quality report {e(report.run_id)}</title>",
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;"
        "margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}"
        ".blocked{color:#b00;font-weight:bold}</style></head><body>",
        f"<h1>Quality report {e(report.run_id)}</h1>",
        f"<p class='{e(v['status'])}'>status: {e(v['status'])}</p>",
    ]
    if report.blocked:
        parts.append(f"<p class='blocked'>{e(report.block_line())}</p>")
    parts.append("<h2>Rows</h2><table>")
    for key in ("rows_in", "accepted", "quarantined", "warned"):
        parts.append(f"<tr><th>{key}</th><td>{v.get(key, 0):,}</td></tr>")
    parts.append("</table>")
    if report.metrics:
        parts.append("<h2>Metrics</h2><table>")
        parts.append(f"<tr><th>score</th><td>{_fmt(report.metrics['score'])}</td></tr>")
        for key in DIMENSION_KEYS:
            parts.append(f"<tr><th>{key}</th><td>{_fmt(report.metrics.get(key))}</td></tr>")
        parts.append("</table>")
    parts.append("<h2>Rules failed</h2><table><tr><th>rule</th><th>severity</th><th>rows</th>"
                 "<th>examples</th></tr>")  # fmt: skip
    for name, count in v.get("rule_counts", {}).items():
        severity = v.get("rules", {}).get(name, {}).get("severity", "quarantine")
        examples = "<br>".join(
            e(f"{x['file']}:{x['line']} {x['values']}") for x in v.get("examples", {}).get(name, [])
        )
        parts.append(
            f"<tr><td>{e(name)}</td><td>{e(severity)}</td><td>{count:,}</td><td>{examples}</td></tr>"
        )
    parts.append("</table>")
    counts = report.finding_counts()
    if counts:
        parts.append("<h2>Outliers</h2><table><tr><th>detector</th><th>findings</th></tr>")
        parts += [f"<tr><td>{e(k)}</td><td>{n:,}</td></tr>" for k, n in counts.items()]
        parts.append("</table>")
    if len(report.anomalies):
        parts.append("<h2>Metric anomalies</h2><table><tr><th>metric</th><th>value</th>"
                     "<th>method</th><th>expected</th></tr>")  # fmt: skip
        for row in report.anomalies.itertuples():
            parts.append(
                f"<tr><td>{e(row.metric)}</td><td>{_fmt(row.value)}</td><td>{e(row.method)}</td>"
                f"<td>{row.lower} .. {row.upper}</td></tr>"
            )
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)
