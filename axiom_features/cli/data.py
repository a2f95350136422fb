"""``axiom ingest``, ``ingest-news``, ``ingest-fundamentals``, ``generate``: data in."""

from __future__ import annotations

from pathlib import Path

import click

from axiom_features.cli.context import Context, pass_context
from axiom_features.cli.support import (
    console,
    fail_cleanly,
    summary_table,
)


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--timezone", default="UTC", show_default=True, help="Zone of naive timestamps.")
@click.option("--source", default="file", show_default=True, help="Provider name stored per bar.")
@click.option("--use-adjusted", is_flag=True, help="Scale OHLC by Adj Close / Close.")
@click.option(
    "--calendar",
    default="XNYS",
    show_default=True,
    help="Exchange whose session close stamps dates (XNYS, XLON …; FX 24x5, CRYPTO 24x7).",
)
@click.option(
    "--on-conflict",
    type=click.Choice(["quarantine", "replace", "keep"]),
    default="quarantine",
    show_default=True,
    help="A corrected bar (stored key, new values): hold it, replace the stored bar, or keep it.",
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
    on_conflict: str,
):
    """Import CSV/Parquet bar files (or folders of them) through the quality gate.

    Timestamps with an offset are converted to UTC; those without are read in --timezone;
    dates without a time of day are stamped at that day's session close on --calendar.
    """
    from axiom_features.cli.render import import_summary
    from axiom_features.ingest import QualityOptions
    from axiom_features.pipeline import jobs

    result = jobs.ingest_files(
        ctx.repo,
        list(paths),
        timezone=timezone,
        source=source,
        use_adjusted=use_adjusted,
        calendar=calendar,
        quality=QualityOptions(on_conflict=on_conflict),
    )
    console.print(import_summary(result))


@click.command("ingest-news")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--source", default="file", show_default=True, help="Provider name stored per row.")
@pass_context
@fail_cleanly
def ingest_news(ctx: Context, path: Path, source: str):
    """Import a headline CSV (symbol/ticker, published time, headline) into the news lake."""
    from axiom_features.pipeline import jobs

    result = jobs.ingest_news(ctx.repo, path, source=source)
    rows = [("rows in", result.rows_in), ("accepted", result.accepted)]
    rows += [("rejected", result.rejected), ("new", result.new_rows)]
    rows += [("", line) for line in result.rejections["reasons"].head(5)]
    console.print(summary_table(f"news import {path.name}", rows))


@click.command("ingest-fundamentals")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--source", default="file", show_default=True, help="Provider name stored per row.")
@pass_context
@fail_cleanly
def ingest_fundamentals(ctx: Context, path: Path, source: str):
    """Import a quarterly fundamentals CSV (keyed by filing date) into the fundamentals lake."""
    from axiom_features.pipeline import jobs

    result = jobs.ingest_fundamentals(ctx.repo, path, source=source)
    rows = [("rows in", result.rows_in), ("accepted", result.accepted)]
    rows += [("rejected", result.rejected), ("new", result.new_rows)]
    rows += [(f"line {r.line}", r.reason) for r in result.rejections[:5]]
    console.print(summary_table(f"fundamentals import {path.name}", rows))


@click.command()
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
    from axiom_features.synthetic.bars import generate_bars

    bars = generate_bars(symbols, days, seed=seed).drop(columns=["created_timestamp"])
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".parquet":
        bars.to_parquet(out, index=False)
    else:
        bars.to_csv(out, index=False)
    console.print(f"wrote {len(bars):,} bars of {symbols} symbols to {out}")
