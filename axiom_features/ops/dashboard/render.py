"""The dashboard's pages, each self-contained HTML: the overview (what needs attention
first), one page per view (drift over time, distributions), and the alerts page."""

from __future__ import annotations

import math
from html import escape

from axiom_features.ops.dashboard.data import (
    Distribution,
    Overview,
    QualityLine,
    ViewPage,
    ViewStatus,
)

CSS = """
body{font:14px system-ui,sans-serif;margin:24px;color:#222}h1{font-size:22px}
h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:8px 0}td,th{padding:3px 8px;border:1px solid #e3e3e3;
text-align:left;vertical-align:top}th{background:#f6f6f6}.ok{background:#dff3e0}
.warn,.possible_drift{background:#fff1c7}.critical,.drifted,.drift,.failed{background:#f9d3d0}
.no_drift{background:#eef7ee}.skipped{color:#999}.heat td{font-size:12px;text-align:right}
.muted{color:#777}svg text{font-size:11px}nav a{margin-right:12px}\n.attention li{margin:3px 0}
"""
STATUS_LABEL = {"drift": "DRIFTED", "possible_drift": "possible", "no_drift": "ok", "skipped": "-"}


def _page(title: str, prefix: str, *body: str) -> str:
    return "\n".join(
        [
            "<!doctype html><html><head><meta charset='utf-8'>",
            f"<title>{escape(title)}</title><style>{CSS}</style></head><body>",
            f"<nav><a href='{prefix}'>overview</a><a href='{prefix}alerts'>alerts</a>"
            f"<a href='{prefix}trace'>trace</a></nav>",
            f"<h1>{escape(title)}</h1>",
            *body,
            "</body></html>",
        ]
    )


def render_overview(data: Overview, prefix: str = "") -> str:
    """The first page: needs attention, views, quality, open incidents, recent runs."""
    return _page(
        "Axiom Features monitoring",
        prefix,
        f"<p class='muted'>health checked {escape(data.health_checked_at)} "
        "(the same checks as <code>axiom health</code>)</p>",
        _attention(data, prefix),
        _views(data.views, prefix),
        _quality(data.quality),
        _incidents(data.open_incidents),
        _runs(data.runs),
    )


def render_view(page: ViewPage, prefix: str = "../") -> str:
    """A view's page: its status, drift per feature over time, distributions."""
    v = page.view
    return _page(
        f"{v.name}",
        prefix,
        f"<p id='view-status' data-status='{escape(v.status)}' class='{escape(v.status)}'>"
        f"freshness {escape(v.status)}: {escape(v.detail)}; within SLA (7 days) "
        f"{_pct(v.within_sla_7d)}</p>",
        _drift(v.name, page.drift_history),
        _distributions(page.distributions),
    )


def render_alerts(incidents: list[dict], events: list[dict], prefix: str = "") -> str:
    return _page("Alerts", prefix, _incidents(incidents), _events(events))


def _pct(value: float | None) -> str:
    """A share as a whole percentage; a share that is not nil never reads 0% (nor 100%
    when it is short of it)."""
    if value is None:
        return "-"
    if 0 < value < 0.01:
        return "<1%"
    if 0.99 < value < 1:
        return ">99%"
    return f"{value:.0%}"


def _attention(data: Overview, prefix: str) -> str:
    if not data.attention:
        return "<h2>Needs attention</h2><p id='attention' class='ok'>nothing: every check ok</p>"
    items = "".join(
        f"<li data-kind='{escape(a.kind)}' data-name='{escape(a.name)}' class='{a.status}'>"
        f"<b>{escape(a.status)}</b> {escape(a.kind)} "
        + (f"<a href='{prefix}{escape(a.link)}'>{escape(a.name)}</a>" if a.link else escape(a.name))
        + f": {escape(a.detail)}</li>"
        for a in data.attention
    )
    return f"<h2>Needs attention ({len(data.attention)})</h2><ul id='attention'>{items}</ul>"


def _views(views: list[ViewStatus], prefix: str) -> str:
    rows = "".join(
        f"<tr id='view-{escape(v.name)}' data-view='{escape(v.name)}' "
        f"data-status='{escape(v.status)}' data-within-sla='{_pct(v.within_sla_7d)}'>"
        f"<td><a href='{prefix}view/{escape(v.name)}'>{escape(v.name)}</a></td>"
        f"<td class='{v.status}'>{v.status}</td><td>{escape(v.detail)}</td>"
        f"<td>{_pct(v.within_sla_7d)}</td>"
        f"<td class='{'drifted' if v.dataset_drift else ''}'>{_pct(v.drift_share)}"
        f"{f' ({v.drifted})' if v.drifted else ''}"
        f"{' dataset drift' if v.dataset_drift else ''}</td></tr>"
        for v in views
    )
    return (
        "<h2>Feature views</h2><table id='views'><tr><th>view</th><th>freshness</th>"
        "<th>detail</th><th>within SLA (7 days)</th><th>drifted features</th>"
        f"</tr>{rows}</table>"
    )


def _quality(q: QualityLine | None) -> str:
    if q is None:
        return "<h2>Quality</h2><p class='muted'>no quality records yet</p>"
    rules = "".join(
        f"<tr><td>{escape(name)}</td><td>{count:,}</td></tr>" for name, count in q.rules.items()
    )
    table = (
        f"<table id='quality-rules'><tr><th>rule</th><th>rows</th></tr>{rules}</table>"
        if rules
        else "<p class='muted'>no rule results recorded</p>"
    )
    counts = f"{q.rows_in:,} rows in, {q.accepted:,} accepted" if q.rows_in is not None else ""
    return (
        f"<h2>Quality</h2><p id='quality' data-verdict='{escape(q.verdict)}' "
        f"class='{'ok' if q.verdict == 'passed' else 'warn'}'>latest run {escape(q.run_id)}: "
        f"{escape(q.verdict)}{'; ' + counts if counts else ''}</p>{table}"
    )


def _drift(view: str, reports: list) -> str:
    if not reports:
        return "<h2>Drift</h2><p class='muted'>no drift checks yet (axiom monitor)</p>"
    features = list(dict.fromkeys(f.feature for r in reports for f in r.features))
    head = "".join(f"<th>{escape(r.current.get('end', r.checked_at[:10]))}</th>" for r in reports)
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
    return (
        f"<h2>Drift per feature over time</h2><p class='muted'>latest: "
        f"{last.current.get('start')}..{last.current.get('end')} against "
        f"{last.reference.get('kind', 'reference')} {last.reference.get('start')}.."
        f"{last.reference.get('end')}; {_pct(last.dataset_drift_share)} of features drifted</p>"
        f"<table class='heat'><tr><th>feature</th><th>now</th>{head}</tr>{''.join(rows)}</table>"
    )


def _distributions(plots: list[Distribution]) -> str:
    if not plots:
        return ""
    return (
        "<h2>Distributions (5–95% range, quartiles, median): current against reference</h2>"
        + "".join(_svg(p) for p in plots)
    )


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


def _incidents(open_incidents: list[dict]) -> str:
    rows = "".join(
        f"<tr data-key='{escape(i['alert']['key'])}'><td>{escape(i['opened_at'][:19])}</td>"
        f"<td class='{'critical' if i['alert']['severity'] == 'critical' else 'warn'}'>"
        f"{escape(i['alert']['severity'])}</td><td>{escape(i['alert']['key'])}</td>"
        f"<td>{escape(i['alert']['title'])}</td><td>{escape(', '.join(i['delivered']))}</td></tr>"
        for i in open_incidents
    )
    return (
        f"<h2>{len(open_incidents)} open incidents</h2><table id='incidents'>"
        "<tr><th>opened</th><th>severity</th><th>key</th><th>title</th><th>delivered to</th></tr>"
        f"{rows}</table>"
    )


def _events(events: list[dict]) -> str:
    rows = "".join(
        f"<tr><td>{escape(e['at'][:19])}</td><td>{escape(e['event'])}</td>"
        f"<td class='{'critical' if e['alert']['severity'] == 'critical' else 'warn'}'>"
        f"{escape(e['alert']['severity'])}</td><td>{escape(e['alert']['key'])}</td>"
        f"<td>{escape(e['alert']['title'])}</td><td>{escape(e.get('route', ''))}</td></tr>"
        for e in events
    )
    return (
        "<h2>Latest alert events</h2><table id='alerts'><tr><th>at</th><th>event</th>"
        f"<th>severity</th><th>key</th><th>title</th><th>route</th></tr>{rows}</table>"
    )


def _runs(runs: list[dict]) -> str:
    rows = "".join(
        f"<tr><td>{escape(r['run_id'])}</td><td>{escape(r['command'])}</td>"
        f"<td class='{r['status']}'>{escape(r['status'])}</td>"
        f"<td>{_num(r.get('wall_seconds'))}</td><td>{_num(r.get('cpu_seconds'))}</td>"
        f"<td>{_num(r.get('rows_written'))}</td><td>{_num(r.get('peak_rss_mb'))}</td></tr>"
        for r in runs
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
