"""``axiom demo``: the whole platform on synthetic data, step by step."""

from __future__ import annotations

import click

from axiom_features.cli.context import Context, pass_context
from axiom_features.cli.support import (
    console,
    fail_cleanly,
)


@click.command()
@click.option("--symbols", default=20, show_default=True)
@click.option("--days", default=504, show_default=True, help="Trading sessions of history.")
@click.option("--workers", default=2, show_default=True)
@pass_context
@fail_cleanly
def demo(ctx: Context, symbols: int, days: int, workers: int):
    """Synthetic bars → quality gate → TA-Lib features → Feast → online and training reads."""
    from axiom_features.cli.render import demo_report
    from axiom_features.pipeline.demo import run_demo

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
