"""``axiom offline …``: the offline store side of the CLI."""

from __future__ import annotations

import click

from axiom_features.cli.support import console, fail_cleanly, summary_table


@click.group()
def offline():
    """Offline feature tables in the profile's offline store."""


@offline.command()
@click.option("--views", help="Comma-separated feature views (default: every offline table).")
@click.option("--symbols", help="Comma-separated symbols (default: all).")
@click.pass_obj
@fail_cleanly
def load(ctx, views: str | None, symbols: str | None):  # noqa: ANN001 - cli.Context
    """Copy the Parquet offline tables into the profile's PostgreSQL offline store (COPY;
    a symbol's rows are replaced, so re-running is safe)."""
    from axiom_features.pipeline import jobs

    result = jobs.load_offline(
        ctx.repo,
        ctx.profile,
        views=views.split(",") if views else None,
        symbols=symbols.split(",") if symbols else None,
    )
    rows = [(view, f"{n:,} rows") for view, n in result.rows_per_table.items()]
    console.print(summary_table(f"offline load: {result.files} files", rows))
