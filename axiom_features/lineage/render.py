"""A trace as a few readable lines for the terminal."""

from __future__ import annotations

from axiom_features.lineage.trace import Trace


def render_trace(t: Trace) -> str:
    d = t.definition
    lines = [
        f"[bold]{t.view}:{t.feature}[/] of {t.symbol} at {t.event_timestamp} = {t.value}"
        + (f" (online serves {t.online_value})" if t.online_value is not None else ""),
        f"  offline row   {t.offline_table}  (view version {t.view_version})",
    ]
    run = t.transform_run
    lines.append(
        f"  transform     run {run['run_id']} at {run['started_at'][:19]}, code {t.code_revision}"
        if run else "  transform     run unknown"
    )  # fmt: skip
    inputs = ", ".join(d.get("inputs", []))
    lines.append(
        f"  definition    {d.get('function')}({d.get('parameters')}) of {inputs}"
        f", warm-up {d.get('warmup')}, transform {d.get('version')}"
    )
    w = t.input_window
    lines.append(f"  input bars    {w['first_bar']} .. {w['last_bar']} ({w['bars']} bars)")
    if "filings" in w:
        lines.append(f"  filings       {w['filings']} ({', '.join(w['fiscal_periods'])})")
    if "headlines" in w:
        lines.append(
            f"  headlines     {w['headlines']} ({w['first_headline']} .. {w['last_headline']})"
        )
    for rows in t.lake_rows:
        spans = ", ".join(f"{a}-{b}" if a != b else str(a) for a, b in rows.lines[:6])
        more = " …" if len(rows.lines) > 6 else ""
        lines.append(
            f"  lake rows     {rows.rows} {rows.lake} rows from {rows.file} lines {spans}{more}"
        )
        lines.append(f"                sha256 {rows.sha256}, import run {rows.import_run}")
        lines.append(
            f"                passed {len(rows.rules_passed)} gate rules, "
            f"{len(rows.warnings)} warning(s)"
        )
    m = t.materialization
    if m:
        drift = m.get("drift") or {}
        lines.append(f"  materialized  run {m['run_id']}, profile {m.get('whylogs_profile')}")
        lines.append(f"  drift         {drift}")
    else:
        lines.append("  materialized  not yet")
    return "\n".join(lines)
