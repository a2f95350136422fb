"""``axiom health | monitor | drift | cost | dashboard``: the monitoring commands."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import click
from rich.table import Table

from axiom_features.cli.context import Context, pass_context
from axiom_features.cli.support import console, fail_cleanly, parse_time, print_json

STATUS_STYLE = {"ok": "green", "warn": "yellow", "critical": "bold red"}


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--at", "at", help="Judge freshness as of this ISO time (default: now).")
@click.option("--history-days", default=7.0, show_default=True, help="SLA history window.")
@pass_context
@fail_cleanly
def health(ctx: Context, as_json: bool, at: str | None, history_days: float):
    """Freshness against SLAs, offline store, registry, last runs. Exit 0 ok, 1 warn, 2 critical."""
    from axiom_features.ops.health import check_health

    report = check_health(
        ctx.repo, ctx.profile, now=parse_time(at, datetime.now(UTC)), history_days=history_days
    )
    if as_json:
        print_json(report.to_dict())
    else:
        table = Table("check", "name", "status", "detail", title=f"health: {report.status}")
        for c in report.checks:
            style = STATUS_STYLE[c.status]
            table.add_row(c.kind, c.name, f"[{style}]{c.status}[/]", c.detail)
        console.print(table)
        shares = [
            f"{view} {share:.1%}" if share is not None else f"{view} -"
            for view, share in report.sla_history.items()
        ]
        console.print(f"within SLA over {history_days:g} days: " + ", ".join(shares))
    sys.exit(report.exit_code)


@click.command()
@click.option("--json", "as_json", is_flag=True)
@click.option("--no-health", is_flag=True, help="Skip the health check (freshness alerts).")
@pass_context
@fail_cleanly
def monitor(ctx: Context, as_json: bool, no_health: bool):
    """Check drift of every profiled view, evaluate alert rules, deliver new incidents."""
    from axiom_features.cli.render_drift import causes_table, drift_table
    from axiom_features.ops.monitor import monitor as run_monitor

    result = run_monitor(ctx.repo, ctx.profile, with_health=not no_health)
    if as_json:
        print_json(
            {
                "run_id": result.run_id,
                "drift": [r.to_dict() for r in result.drift],
                "alerts": [a.to_dict() for a in result.alerts],
                "delivered": [a.key for a in result.delivered],
                "causes": [i.to_dict() for i in result.causes],
            }
        )
        return
    for report in result.drift:
        console.print(drift_table(report))
    console.print(causes_table(result.causes))
    console.print(
        f"{len(result.alerts)} alert(s) firing, {len(result.delivered)} new incident(s) delivered"
    )
    for alert in result.alerts:
        console.print(f"  [{STATUS_STYLE.get(alert.severity, 'yellow')}]{alert.severity}[/] "
                      f"{alert.key}: {alert.title}")  # fmt: skip


@click.command()
@click.option("--view", help="Only this feature view.")
@click.option("--json", "as_json", is_flag=True)
@pass_context
def drift(ctx: Context, view: str | None, as_json: bool):
    """The latest drift report of each view (run `axiom monitor` to compute new ones)."""
    from axiom_features.cli.render_drift import drift_table
    from axiom_features.ops.monitor import drift_store

    latest = drift_store(ctx.repo).latest()
    reports = [r for name, r in latest.items() if view is None or name == view]
    if as_json:
        print_json([r.to_dict() for r in reports])
        return
    if not reports:
        console.print("no drift reports yet")
    for report in reports:
        console.print(drift_table(report))


@click.command()
@click.option("--json", "as_json", is_flag=True)
@pass_context
def cost(ctx: Context, as_json: bool):
    """What jobs cost (CPU, wall, memory, rows, bytes) by job and by feature view."""
    from axiom_features.ops.cost import cost_by_job, cost_by_view

    jobs, views = cost_by_job(ctx.repo), cost_by_view(ctx.repo)
    if as_json:
        print_json({"jobs": jobs.to_dict("records"), "views": views.to_dict("records")})
        return
    for title, frame in (("cost by job", jobs), ("cost by feature view", views)):
        table = Table(*frame.columns, title=title, title_justify="left")
        for row in frame.itertuples(index=False):
            table.add_row(*[_fmt(v) for v in row])
        console.print(table)


@click.command()
@click.option("--port", default=8765, show_default=True, help="Port on 127.0.0.1 (0: any free).")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the page as a static HTML report instead of serving it.",
)
@pass_context
@fail_cleanly
def dashboard(ctx: Context, port: int, out: Path | None):
    """Serve the monitoring dashboard on 127.0.0.1: needs attention first, a page per view
    (or write every page to --out)."""
    from axiom_features.ops.dashboard import serve, write_report

    if out is not None:
        write_report(ctx.repo, out, ctx.profile)
        console.print(f"wrote {out}")
        return
    console.print("checking health (axiom health) before serving …")
    serve(
        ctx.repo,
        port=port,
        profile=ctx.profile,
        on_ready=lambda url: console.print(f"dashboard on {url}"),
    )


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return "-" if value != value else f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
