"""The dashboard as one self-contained HTML page: tables, a drift heatmap, SVG quantile plots."""

from __future__ import annotations

import math
from html import escape

from axiom_features.ops.dashboard.data import DashboardData, Distribution

CSS = """
body{font:14px system-ui,sans-serif;margin:24px;color:#222}h1{font-size:22px}
h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:8px 0}td,th{padding:3px 8px;border:1px solid #e3e3e3;
text-align:left;vertical-align:top}th{background:#f6f6f6}.ok{background:#dff3e0}
.warn,.possible_drift{background:#fff1c7}.critical,.drifted,.drift,.failed{background:#f9d3d0}
.no_drift{background:#eef7ee}.skipped{color:#999}.heat td{font-size:12px;text-align:right}
.muted{color:#777}svg text{font-size:11px}
"""
STATUS_LABEL = {"drift": "DRIFTED", "possible_drift": "possible", "no_drift": "ok", "skipped": "-"}


def render(data: DashboardData) -> str:
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        "<title>Axiom Features monitoring</title>",
        f"<style>{CSS}</style></head><body>",
        "<h1>Axiom Features monitoring</h1>",
        f"<p class='muted'>generated {escape(data.generated_at)}</p>",
        _views(data),
        _quality(data),
        _drift(data),
        _distributions(data),
        _alerts(data),
        _runs(data),
        "</body></html>",
    ]
    return "\n".join(parts)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _views(data: DashboardData) -> str:
    rows = "".join(
        f"<tr id='view-{escape(v.name)}' data-view='{escape(v.name)}'>"
        f"<td>{escape(v.name)}</td><td class='{v.status}'>{v.status}</td>"
        f"<td>{escape(v.detail)}</td><td>{escape(v.sla)}</td><td>{_pct(v.within_sla_7d)}</td>"
        f"<td class='{'drifted' if v.dataset_drift else ''}'>{_pct(v.drift_share)}"
        f"{' dataset drift' if v.dataset_drift else ''}</td></tr>"
        for v in data.views
    )
    return (
        "<h2>Feature views</h2><table id='views'><tr><th>view</th><th>freshness</th>"
        "<th>newest row</th><th>SLA</th><th>within SLA (7 days)</th><th>drifted features</th>"
        f"</tr>{rows}</table>"
    )


def _quality(data: DashboardData) -> str:
    q = data.quality
    if not q:
        return "<h2>Quality</h2><p class='muted'>no quality records yet</p>"
    rules = "".join(f"<tr><td>{escape(str(k))}</td><td>{v:,}</td></tr>"
                    for k, v in q.get("rule_counts", {}).items())  # fmt: skip
    return (
        f"<h2>Quality</h2><p id='quality'>latest run {escape(str(q['run_id']))}: "
        f"{escape(str(q['status']))}, score {_pct(q.get('score'))} of rows accepted</p>"
        f"<table><tr><th>rule</th><th>rows</th></tr>{rules}</table>"
    )


def _drift(data: DashboardData) -> str:
    out = ["<h2>Drift per feature over time</h2>"]
    for view, reports in sorted(data.drift_history.items()):
        reports = reports[-12:]
        features = list(dict.fromkeys(f.feature for r in reports for f in r.features))
        head = "".join(
            f"<th>{escape(r.current.get('end', r.checked_at[:10]))}</th>" for r in reports
        )
        rows = []
        for name in features:
            cells = []
            for r in reports:
                f = next((x for x in r.features if x.feature == name), None)
                if f is None:
                    cells.append("<td></td>")
                    continue
                score = f.scores.get(f.method) if f.method else None
                text = "-" if score is None else f"{score:.3g}"
                cells.append(f"<td class='{f.status}' title='{f.method} {STATUS_LABEL[f.status]}'>"
                             f"{text}</td>")  # fmt: skip
            latest = next((x for x in reports[-1].features if x.feature == name), None)
            status = latest.status if latest else "skipped"
            rows.append(
                f"<tr data-view='{escape(view)}' data-feature='{escape(name)}' "
                f"data-status='{status}' class='{'drifted' if status == 'drift' else ''}'>"
                f"<th>{escape(name)}</th><td>{STATUS_LABEL[status]}</td>{''.join(cells)}</tr>"
            )
        last = reports[-1]
        out.append(
            f"<h3>{escape(view)}</h3><p class='muted'>latest: {last.current.get('start')}.."
            f"{last.current.get('end')} against {last.reference.get('kind', 'reference')} "
            f"{last.reference.get('start')}..{last.reference.get('end')}; "
            f"{_pct(last.dataset_drift_share)} of features drifted</p>"
            f"<table class='heat'><tr><th>feature</th><th>now</th>{head}</tr>"
            f"{''.join(rows)}</table>"
        )
    if len(out) == 1:
        out.append("<p class='muted'>no drift checks yet (axiom monitor)</p>")
    return "".join(out)


def _distributions(data: DashboardData) -> str:
    out = ["<h2>Distributions (5–95% range, quartiles, median): current against reference</h2>"]
    for view, plots in sorted(data.distributions.items()):
        if plots:
            out.append(f"<h3>{escape(view)}</h3>" + "".join(_svg(p) for p in plots))
    return "".join(out)


def _svg(plot: Distribution) -> str:
    values = [v for v in (*plot.current.values(), *plot.reference.values()) if math.isfinite(v)]
    if not values:
        return ""
    lo, hi = min(values), max(values)
    span = (hi - lo) or 1.0

    def x(v: float) -> float:
        return 10 + 280 * (v - lo) / span

    def box(q: dict[str, float], y: int, colour: str) -> str:
        return (
            f"<line x1='{x(q['q_05']):.1f}' x2='{x(q['q_95']):.1f}' y1='{y + 8}' y2='{y + 8}' "
            f"stroke='{colour}'/><rect x='{x(q['q_25']):.1f}' y='{y}' "
            f"width='{max(x(q['q_75']) - x(q['q_25']), 1):.1f}' height='16' fill='{colour}' "
            f"fill-opacity='0.35' stroke='{colour}'/><line x1='{x(q['median']):.1f}' "
            f"x2='{x(q['median']):.1f}' y1='{y}' y2='{y + 16}' stroke='{colour}' stroke-width='2'/>"
        )

    return (
        f"<figure style='display:inline-block;margin:6px' data-feature='{escape(plot.feature)}'>"
        f"<svg width='300' height='70' role='img'><text x='10' y='12'>{escape(plot.feature)} "
        f"({STATUS_LABEL.get(plot.status, plot.status)})</text>"
        f"{box(plot.reference, 18, '#4a78b5')}{box(plot.current, 42, '#d0543c')}"
        f"<text x='10' y='68' class='muted'>{lo:.4g}</text>"
        f"<text x='290' y='68' text-anchor='end'>{hi:.4g}</text></svg>"
        f"<figcaption class='muted'>blue: reference, red: current</figcaption></figure>"
    )


def _alerts(data: DashboardData) -> str:
    rows = "".join(
        f"<tr><td>{escape(e['at'][:19])}</td><td>{escape(e['event'])}</td>"
        f"<td class='{'critical' if e['alert']['severity'] == 'critical' else 'warn'}'>"
        f"{escape(e['alert']['severity'])}</td><td>{escape(e['alert']['key'])}</td>"
        f"<td>{escape(e['alert']['title'])}</td><td>{escape(e.get('route', ''))}</td></tr>"
        for e in data.alerts
    )
    incidents = "".join(
        f"<tr data-key='{escape(i['alert']['key'])}'><td>{escape(i['opened_at'][:19])}</td>"
        f"<td class='{'critical' if i['alert']['severity'] == 'critical' else 'warn'}'>"
        f"{escape(i['alert']['severity'])}</td><td>{escape(i['alert']['key'])}</td>"
        f"<td>{escape(i['alert']['title'])}</td><td>{escape(', '.join(i['delivered']))}</td></tr>"
        for i in sorted(data.open_incidents, key=lambda i: i["opened_at"], reverse=True)
    )
    return (
        f"<h2>Alerts: {len(data.open_incidents)} open incidents</h2><table id='incidents'>"
        "<tr><th>opened</th><th>severity</th><th>key</th><th>title</th><th>delivered to</th></tr>"
        f"{incidents}</table><h3>Latest alert events</h3><table id='alerts'><tr><th>at</th>"
        f"<th>event</th><th>severity</th><th>key</th><th>title</th><th>route</th></tr>{rows}</table>"
    )


def _runs(data: DashboardData) -> str:
    rows = "".join(
        f"<tr><td>{escape(r['run_id'])}</td><td>{escape(r['command'])}</td>"
        f"<td class='{r['status']}'>{escape(r['status'])}</td>"
        f"<td>{_num(r.get('wall_seconds'))}</td><td>{_num(r.get('cpu_seconds'))}</td>"
        f"<td>{_num(r.get('rows_written'))}</td><td>{_num(r.get('peak_rss_mb'))}</td></tr>"
        for r in data.runs
    )
    return (
        "<h2>Recent runs</h2><table id='runs'><tr><th>run</th><th>job</th><th>status</th>"
        f"<th>wall s</th><th>CPU s</th><th>rows written</th><th>peak MB</th></tr>{rows}</table>"
    )


def _num(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return "-"
