"""``axiom backfill`` and ``axiom replay``: recompute a range; run a recorded run again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import click

from axiom_features.cli.context import Context, pass_context
from axiom_features.cli.support import console, fail_cleanly, parse_time, summary_table


def _names(value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


def _day_end(value: str) -> datetime:
    """The last microsecond of a date given alone; a datetime as given."""
    moment = parse_time(value, datetime.now(UTC))
    return moment + timedelta(days=1, microseconds=-1) if len(value) == 10 else moment


@click.command()
@click.option("--start", required=True, help="First day (ISO date or datetime, UTC).")
@click.option("--end", required=True, help="Last day, included (ISO date or datetime, UTC).")
@click.option("--views", help="Comma-separated views (default: every view).")
@click.option("--symbols", help="Comma-separated symbols (default: the lake's).")
@pass_context
@fail_cleanly
def backfill(ctx: Context, start: str, end: str, views: str | None, symbols: str | None):
    """Recompute the offline rows of [START, END] from the lake, the same bytes as a
    from-scratch run; the run record keeps the inputs' hashes for `axiom replay`."""
    from axiom_features.backfill.jobs import backfill as run_backfill

    result = run_backfill(
        ctx.repo,
        parse_time(start, datetime.now(UTC)),
        _day_end(end),
        views=_names(views),
        symbols=_names(symbols),
    )
    rows = [("run", result.run_id), ("symbols", len(result.symbols))]
    rows += [(view, f"{n} rows rewritten") for view, n in result.rows_per_view.items()]
    console.print(summary_table("backfill", rows))


@click.command()
@click.argument("run_id")
@pass_context
@fail_cleanly
def replay(ctx: Context, run_id: str):
    """Run RUN_ID again with the inputs it recorded; say "identical" or what differs
    (exit 1 when anything differs)."""
    from axiom_features.backfill.replay import replay as run_replay

    report = run_replay(ctx.repo, run_id)
    click.echo(report.summary())
    if not report.identical:
        raise click.exceptions.Exit(1)
