"""``axiom demo``: the whole platform on synthetic data, step by step."""

from __future__ import annotations

from itertools import islice
from typing import Any

import click
from rich.console import RenderableType

from axiom_features.cli.context import Context, pass_context
from axiom_features.cli.support import console, fail_cleanly, summary_table


@click.command()
@click.option("--symbols", default=20, show_default=True)
@click.option("--days", default=504, show_default=True, help="Trading sessions of history.")
@click.option("--workers", default=2, show_default=True)
@click.option(
    "--stream-sessions",
    default=2,
    show_default=True,
    help="Sessions of minute bars streamed live at the end (0: none).",
)
@click.option("--stream-rate", default=500.0, show_default=True, help="Bars/s of the live feed.")
@pass_context
@fail_cleanly
def demo(  # noqa: ANN201
    ctx: Context, symbols: int, days: int, workers: int, stream_sessions: int, stream_rate: float
):
    """Synthetic bars → quality gate → TA-Lib features → Feast → online and training reads,
    then minute bars streamed live into online features."""
    from axiom_features.cli.render import demo_report
    from axiom_features.pipeline.demo import run_demo

    if ctx.profile != "default":
        raise click.UsageError("the demo runs on the embedded default profile")
    result = run_demo(
        ctx.repo,
        symbols=symbols,
        days=days,
        workers=workers,
        stream_sessions=stream_sessions,
        stream_rate=stream_rate,
        on_step=lambda message: console.print(f"[cyan]→[/] {message}"),
        on_result=lambda step, value: (
            console.print(step_result(step, value)) if step in STEP_RESULTS else None
        ),
    )
    # The closing screen: what follows the results already shown step by step.
    for renderable in islice(demo_report(result), len(STEP_RESULTS), None):
        console.print(renderable)


STEP_RESULTS = ("import", "transform", "materialize", "online")
"""The demo steps whose results are printed as they finish, in ``demo_report``'s order."""


def step_result(step: str, value: Any) -> RenderableType:
    """The table of one finished demo step."""
    from axiom_features.cli.render import import_summary, materialize_table, online_table

    if step == "import":
        return import_summary(value)
    if step == "transform":
        rows = [(view, f"{n:,} rows") for view, n in value.rows_per_view.items()]
        return summary_table("transform", rows)
    if step == "materialize":
        return materialize_table(value.run_id, value.views)
    return online_table(value)
