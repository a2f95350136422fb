"""The dashboard's trace page: ``axiom lineage trace`` as HTML, one step of the chain a row.

``/trace?target=VIEW:FEATURE&symbol=S`` traces the latest offline value, ``&at=T`` the value
a training row at ``T`` gets, ``&online=1`` the value the online store serves. Each step
names what the terminal trace names: offline row, transform run and code revision,
catalogue definition, input bars (and filings or headlines), lake rows of each lake (vendor
file, lines, sha256, gate rules),
materialization, profile and drift.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from pathlib import Path
from urllib.parse import parse_qs

from axiom_features.lineage.lookup import trace_value
from axiom_features.lineage.trace import Trace, TraceError
from axiom_features.ops.dashboard.render import _page as page_html

FORM = (
    "<form action='{prefix}trace'><label>feature <input name='target' value='{target}' "
    "placeholder='ta_momentum:rsi_14'></label> <label>symbol <input name='symbol' "
    "value='{symbol}'></label> <label>at <input name='at' value='{at}' "
    "placeholder='latest'></label> <label><input type='checkbox' name='online' value='1'"
    "{online}> served online</label> <button>trace</button></form>"
)


def _row(step: str, *cells: str) -> str:
    return f"<tr><th>{escape(step)}</th>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


def _lines(spans: list[list[int]]) -> str:
    return ", ".join(f"{a}-{b}" if a != b else str(a) for a, b in spans)


def trace_table(t: Trace) -> str:
    """The chain of ``t`` as one table: a row per step, lake rows one row per vendor file."""
    e = escape
    d, w, run, m = t.definition, t.input_window, t.transform_run, t.materialization
    served = f" (online serves {e(str(t.online_value))})" if t.online_value is not None else ""
    rows = [
        _row(
            "value",
            f"<b>{e(t.view)}:{e(t.feature)}</b> of {e(t.symbol)} at "
            f"{e(t.event_timestamp)} = <b>{e(str(t.value))}</b>{served}",
        ),  # fmt: skip
        _row("offline row", f"{e(t.offline_table)} (view version {e(t.view_version)})"),
        _row(
            "transform",
            f"run {e(run['run_id'])} at {e(run['started_at'][:19])}, code {e(str(t.code_revision))}"
            if run
            else "run unknown",
        ),
        _row(
            "definition",
            f"{e(str(d.get('function')))}({e(str(d.get('parameters')))}) of "
            f"{e(', '.join(d.get('inputs', [])))}, warm-up {e(str(d.get('warmup')))}",
        ),
        _row(
            "input bars",
            f"{e(str(w['first_bar']))} .. {e(str(w['last_bar']))} ({e(str(w['bars']))} bars)",
        ),  # fmt: skip
    ]
    if "filings" in w:
        rows.append(_row("filings", f"{w['filings']} ({e(', '.join(w['fiscal_periods']))})"))
    if "headlines" in w:
        rows.append(_row("headlines", f"{w['headlines']} ({e(str(w['first_headline']))} .. "
                         f"{e(str(w['last_headline']))})"))  # fmt: skip
    for lake in t.lake_rows:
        warned = f", {len(lake.warnings)} warning(s)" if lake.warnings else ""
        rows.append(
            _row(
                "lake rows",
                f"{lake.rows} {e(lake.lake)} rows from "
                f"<code class='vendor-file'>{e(str(lake.file))}</code> "
                f"lines <span class='lines'>{e(_lines(lake.lines))}</span><br>"
                f"sha256 <code>{e(str(lake.sha256))}</code><br>import run "
                f"{e(str(lake.import_run))}; passed {len(lake.rules_passed)} gate rules{warned}",
            )
        )
    if m:
        rows.append(_row("materialized", f"run {e(m['run_id'])}, profile "
                         f"{e(str(m.get('whylogs_profile')))}"))  # fmt: skip
        rows.append(_row("drift", e(str(m.get("drift") or "not checked"))))
    else:
        rows.append(_row("materialized", "not yet"))
    return f"<table class='trace'>{''.join(rows)}</table>"


def trace_page(root: Path, query: str, profile: str = "default", prefix: str = "") -> str:
    """The trace page for ``query`` (the URL's query string); a form alone when it is empty,
    the one-line reason when the value cannot be traced."""
    asked = {k: v[-1] for k, v in parse_qs(query).items()}
    target, symbol, at = asked.get("target", ""), asked.get("symbol", ""), asked.get("at", "")
    online = asked.get("online") == "1"
    form = FORM.format(
        prefix=prefix,
        target=escape(target, quote=True),
        symbol=escape(symbol, quote=True),
        at=escape(at, quote=True),
        online=" checked" if online else "",
    )
    if not target or not symbol:
        return page_html("trace a feature value", prefix, form)
    try:
        when = datetime.fromisoformat(at) if at else None
        found = trace_value(root, target, symbol, at=when, online=online, profile=profile)
    except (TraceError, ValueError) as exc:
        reason = f"<p class='failed'>{escape(str(exc))}</p>"
        return page_html("trace a feature value", prefix, form, reason)
    title = f"trace of {target} for {symbol}"
    return page_html(title, prefix, form, trace_table(found))
