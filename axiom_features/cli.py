"""``axiom``: the command line, a thin layer over :mod:`axiom_features.jobs`."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
from rich.table import Table

from axiom_features.cli_support import (
    console,
    fail_cleanly,
    parse_time,
    print_json,
    progress_bar,
    summary_table,
)


class Context:
    """Options every command shares."""

    def __init__(self, repo: Path, profile: str) -> None:
        self.repo = repo.resolve()
        self.profile = profile


pass_context = click.make_pass_decorator(Context)


@click.group()
@click.option(
    "--repo",
    type=click.Path(file_okay=False, path_type=Path),
    default=lambda: os.environ.get("AXIOM_REPO", "."),
    show_default="AXIOM_REPO or .",
    help="The feature repository: the folder holding feature_store.yaml.",
)
@click.option(
    "--profile",
    type=click.Choice(["default", "production"]),
    default=lambda: os.environ.get("AXIOM_PROFILE", "default"),
    show_default="AXIOM_PROFILE or default",
    help="default: Parquet + SQLite under ./data; production: Redis online from AXIOM_REDIS_URL.",
)
@click.pass_context
def cli(ctx: click.Context, repo: Path, profile: str) -> None:
    """Axiom Features: validated, monitored, point-in-time-correct market features on Feast."""
    ctx.obj = Context(repo, profile)


def main() -> None:
    cli(prog_name="axiom")


# ---------------------------------------------------------------- data in


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--timezone", default="UTC", show_default=True, help="Zone of naive timestamps.")
@click.option("--source", default="file", show_default=True, help="Provider name stored per bar.")
@click.option("--use-adjusted", is_flag=True, help="Scale OHLC by Adj Close / Close.")
@click.option(
    "--calendar",
    default="XNYS",
    show_default=True,
    help="Exchange whose session close stamps dates.",
)
@pass_context
@fail_cleanly
def ingest(
    ctx: Context,
    paths: tuple[Path, ...],
    timezone: str,
    source: str,
    use_adjusted: bool,
    calendar: str,
):
    """Import CSV/Parquet bar files (or folders of them) through the quality gate.

    Timestamps with an offset are converted to UTC; those without are read in --timezone;
    dates without a time of day are stamped at that day's session close on --calendar.
    """
    from axiom_features import jobs
    from axiom_features.reporting import import_summary

    result = jobs.ingest_files(
        ctx.repo,
        list(paths),
        timezone=timezone,
        source=source,
        use_adjusted=use_adjusted,
        calendar=calendar,
    )
    console.print(import_summary(result))


@cli.command("ingest-news")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--source", default="file", show_default=True, help="Provider name stored per row.")
@pass_context
@fail_cleanly
def ingest_news(ctx: Context, path: Path, source: str):
    """Import a headline CSV (symbol/ticker, published time, headline) into the news lake."""
    from axiom_features import jobs

    result = jobs.ingest_news(ctx.repo, path, source=source)
    rows = [("rows in", result.rows_in), ("accepted", result.accepted)]
    rows += [("rejected", result.rejected), ("new", result.new_rows)]
    rows += [("", line) for line in result.rejections["reasons"].head(5)]
    console.print(summary_table(f"news import {path.name}", rows))


@cli.command("ingest-fundamentals")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--source", default="file", show_default=True, help="Provider name stored per row.")
@pass_context
@fail_cleanly
def ingest_fundamentals(ctx: Context, path: Path, source: str):
    """Import a quarterly fundamentals CSV (keyed by filing date) into the fundamentals lake."""
    from axiom_features import jobs

    result = jobs.ingest_fundamentals(ctx.repo, path, source=source)
    rows = [("rows in", result.rows_in), ("accepted", result.accepted)]
    rows += [("rejected", result.rejected), ("new", result.new_rows)]
    rows += [(f"line {r.line}", r.reason) for r in result.rejections[:5]]
    console.print(summary_table(f"fundamentals import {path.name}", rows))


@cli.command()
@click.option("--symbols", default=5, show_default=True, help="How many symbols.")
@click.option("--days", default=504, show_default=True, help="How many trading sessions.")
@click.option("--seed", default=7, show_default=True)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("bars.csv"),
    show_default=True,
    help="A .csv or .parquet file.",
)
@fail_cleanly
def generate(symbols: int, days: int, seed: int, out: Path):
    """Write deterministic synthetic daily bars to a file, ready for `axiom ingest`."""
    from axiom_features.synthetic import generate_bars

    bars = generate_bars(symbols, days, seed=seed).drop(columns=["created_timestamp"])
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".parquet":
        bars.to_parquet(out, index=False)
    else:
        bars.to_csv(out, index=False)
    console.print(f"wrote {len(bars):,} bars of {symbols} symbols to {out}")


# ---------------------------------------------------------------- features


@cli.command()
@click.option("--symbols", help="Comma-separated symbols (default: every symbol in the lake).")
@click.option("--views", help="Comma-separated feature views (default: all).")
@click.option("--workers", default=2, show_default=True, help="Processes.")
@pass_context
@fail_cleanly
def transform(ctx: Context, symbols: str | None, views: str | None, workers: int):
    """Compute feature views from the lakes into the offline tables.

    Under a profile whose offline store is PostgreSQL, the tables written are loaded there too.
    """
    from axiom_features import jobs

    with progress_bar("transform") as update:
        result = jobs.transform(
            ctx.repo,
            symbols=symbols.split(",") if symbols else None,
            views=views.split(",") if views else None,
            workers=workers,
            progress=update,
            profile=ctx.profile,
        )
    rows = [(view, f"{n:,} rows") for view, n in result.rows_per_view.items()]
    console.print(summary_table(f"transform: {result.symbols} symbols", rows))


@cli.command()
@pass_context
@fail_cleanly
def apply(ctx: Context):
    """Register feature_repo/ in the Feast registry (what `feast apply` does)."""
    from axiom_features import jobs

    views = jobs.apply(ctx.repo, ctx.profile)
    console.print(f"applied {len(views)} feature views: {', '.join(views)}")


@cli.command()
@click.option("--start", help="ISO date/time (default: 30 days before --end).")
@click.option("--end", help="ISO date/time (default: now).")
@click.option("--views", help="Comma-separated feature views (default: all).")
@pass_context
@fail_cleanly
def materialize(ctx: Context, start: str | None, end: str | None, views: str | None):
    """Materialize [start, end] into the online store, profiling every view written."""
    from axiom_features import jobs
    from axiom_features.reporting import materialize_table

    end_at = parse_time(end, datetime.now(UTC))
    start_at = parse_time(start, end_at - timedelta(days=30))
    result = jobs.materialize(
        ctx.repo, start_at, end_at, views=views.split(",") if views else None, profile=ctx.profile
    )
    console.print(materialize_table(result.run_id, result.views))


@cli.group()
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
    from axiom_features.versions import diff_against_stored
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
    from axiom_features.versions import archive_dir, known_versions, stored_version

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


@cli.command()
@click.option("--command", "command_name", help="Only runs of this command.")
@click.option("--json", "as_json", is_flag=True)
@pass_context
def runs(ctx: Context, command_name: str | None, as_json: bool):
    """Recorded job runs, oldest first."""
    from dataclasses import asdict

    from axiom_features.paths import RepoPaths
    from axiom_features.runs import RunLog

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


# ---------------------------------------------------------------- demo


@cli.command()
@click.option("--symbols", default=20, show_default=True)
@click.option("--days", default=504, show_default=True, help="Trading sessions of history.")
@click.option("--workers", default=2, show_default=True)
@pass_context
@fail_cleanly
def demo(ctx: Context, symbols: int, days: int, workers: int):
    """Synthetic bars → quality gate → TA-Lib features → Feast → online and training reads."""
    from axiom_features.demo import run_demo
    from axiom_features.reporting import demo_report

    if ctx.profile != "default":
        raise click.UsageError("the demo runs on the embedded default profile")
    result = run_demo(
        ctx.repo,
        symbols=symbols,
        days=days,
        workers=workers,
        on_step=lambda message: console.print(f"[cyan]→[/] {message}"),
    )
    for renderable in demo_report(result):
        console.print(renderable)


# ---------------------------------------------------------------- command groups in other modules
# Each module below defines a click command or group; one line here registers it.
from axiom_features.cli_quality import quality  # noqa: E402

cli.add_command(quality)
from axiom_features.cli_monitoring import cost, dashboard, drift, health, monitor  # noqa: E402

cli.add_command(health)
cli.add_command(monitor)
cli.add_command(drift)
cli.add_command(cost)
cli.add_command(dashboard)
from axiom_features.cli_online import consistency, serve  # noqa: E402

cli.add_command(serve)
cli.add_command(consistency)
from axiom_features.cli_stores import offline  # noqa: E402

cli.add_command(offline)
