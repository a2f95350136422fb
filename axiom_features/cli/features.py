"""``axiom transform``, ``apply``, ``materialize``, ``features …``, ``runs``: the feature jobs."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from rich.markup import escape
from rich.table import Table

from axiom_features.cli.context import Context, pass_context
from axiom_features.cli.support import (
    console,
    fail_cleanly,
    parse_time,
    print_json,
    progress_bar,
    summary_table,
)


@click.command()
@click.option("--symbols", help="Comma-separated symbols (default: every symbol in the lake).")
@click.option("--views", help="Comma-separated feature views (default: all).")
@click.option("--workers", default=2, show_default=True, help="Processes.")
@click.option("--force", is_flag=True, help="Run even over an interrupted upstream run.")
@click.option("--wait", default=0.0, show_default=True, help="Seconds to wait for a busy view.")
@pass_context
@fail_cleanly
def transform(
    ctx: Context, symbols: str | None, views: str | None, workers: int, force: bool, wait: float
):
    """Compute feature views from the lakes into the offline tables.

    Under a profile whose offline store is PostgreSQL, the tables written are loaded there too.
    """
    from axiom_features.pipeline import jobs

    with progress_bar("transform") as update:
        result = jobs.transform(
            ctx.repo,
            symbols=symbols.split(",") if symbols else None,
            views=views.split(",") if views else None,
            workers=workers,
            progress=update,
            profile=ctx.profile,
            force=force,
            wait=wait,
        )
    rows = [(view, f"{n:,} rows") for view, n in result.rows_per_view.items()]
    console.print(summary_table(f"transform: {result.symbols} symbols", rows))


@click.command()
@click.option("--wait", default=0.0, show_default=True, help="Seconds to wait for a busy registry.")
@pass_context
@fail_cleanly
def apply(ctx: Context, wait: float):
    """Register feature_repo/ in the Feast registry (what `feast apply` does)."""
    from axiom_features.pipeline import jobs

    views = jobs.apply(ctx.repo, ctx.profile, wait=wait)
    console.print(f"applied {len(views)} feature views: {', '.join(views)}")


@click.command()
@click.option(
    "--start",
    help="ISO date/time (default: where each view's last materialization ended, "
    "like feast materialize-incremental; all history for a view never materialized).",
)
@click.option("--end", help="ISO date/time (default: now).")
@click.option("--views", help="Comma-separated feature views (default: all).")
@click.option("--force", is_flag=True, help="Run even over an interrupted upstream run.")
@click.option("--wait", default=0.0, show_default=True, help="Seconds to wait for a busy view.")
@pass_context
@fail_cleanly
def materialize(
    ctx: Context,
    start: str | None,
    end: str | None,
    views: str | None,
    force: bool,
    wait: float,
):
    """Materialize [start, end] into the online store, profiling every view written."""
    from axiom_features.cli.render import materialize_table
    from axiom_features.pipeline import jobs

    end_at = parse_time(end, datetime.now(UTC))
    start_at = parse_time(start, end_at) if start else None
    result = jobs.materialize(
        ctx.repo,
        start_at,
        end_at,
        views=views.split(",") if views else None,
        profile=ctx.profile,
        force=force,
        wait=wait,
    )
    console.print(materialize_table(result.run_id, result.views))
    for line in result.warnings:
        console.print(f"[yellow]warning:[/] {escape(line)}", soft_wrap=True)
    if result.cleared_states:
        names = ", ".join(result.cleared_states)
        console.print(f"cleared the MATERIALIZING state a killed run left on {names}")


@click.group()
def features() -> None:
    """The feature catalogue."""


@features.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def features_list(as_json: bool):
    """Every feature: view, name, type, transform, version."""
    from transforms.catalogue import catalogue

    records = catalogue().to_records()
    if as_json:
        print_json(records)
        return
    table = Table("view", "name", "type", "transform", "version", title=f"{len(records)} features")
    for r in records:
        table.add_row(r["view"], r["name"], r["dtype"], r["transform"], r["version"])
    console.print(table)


@features.command("diff")
@click.argument("views", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_context
@fail_cleanly
def features_diff(ctx: Context, views: tuple[str, ...], as_json: bool):
    """What the catalogue changes against the versions stored offline (default: every view)."""
    from dataclasses import asdict

    from axiom_features.paths import RepoPaths
    from axiom_features.pipeline.versions import diff_against_stored
    from transforms.catalogue import catalogue

    repo = RepoPaths(ctx.repo)
    diffs = [diff_against_stored(repo, view) for view in catalogue().select(views or None)]
    if as_json:
        print_json([asdict(d) for d in diffs])
        return
    table = Table("view", "stored", "catalogue", "added", "removed", "changed", title="diff")
    for d in diffs:
        changed = "; ".join(
            f"{name}: " + ", ".join(f"{k} {a!r}→{b!r}" for k, (a, b) in fields.items())
            for name, fields in d.changed.items()
        )
        table.add_row(
            d.view,
            d.old_version or "-",
            d.new_version,
            ", ".join(d.added) if d.old_version else "(new view)" if d.added else "",
            ", ".join(d.removed),
            changed,
        )
    console.print(table)


@features.command("versions")
@click.argument("view")
@pass_context
@fail_cleanly
def features_versions(ctx: Context, view: str):
    """Every recorded version of a view: its definition and where its offline data is."""
    from axiom_features.paths import RepoPaths
    from axiom_features.pipeline.versions import archive_dir, known_versions, stored_version

    repo = RepoPaths(ctx.repo)
    current = stored_version(repo, view)
    table = Table("version", "offline data", title=f"versions of {view}")
    for version in known_versions(repo, view):
        if version == current:
            where = str(repo.offline_view(view))
        elif archive_dir(repo, view, version).is_dir():
            where = str(archive_dir(repo, view, version))
        else:
            where = "-"
        table.add_row(version + (" (current)" if version == current else ""), where)
    console.print(table)


@click.command()
@click.option("--command", "command_name", help="Only runs of this command.")
@click.option("--json", "as_json", is_flag=True)
@pass_context
def runs(ctx: Context, command_name: str | None, as_json: bool):
    """Recorded job runs, oldest first."""
    from dataclasses import asdict

    from axiom_features.paths import RepoPaths
    from axiom_features.pipeline.runs import RunLog

    records = RunLog(RepoPaths(ctx.repo).runs).list(command_name)
    if as_json:
        print_json([asdict(r) for r in records])
        return
    table = Table("run id", "command", "status", "started", "rows", title="runs")
    for r in records:
        table.add_row(
            r.run_id, r.command, r.status, r.started_at[:19], str(sum(r.row_counts.values()))
        )
    console.print(table)
