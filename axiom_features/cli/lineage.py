"""``axiom lineage trace|graph``: where a value came from, and how the datasets connect."""

from __future__ import annotations

import json

import click

from axiom_features.cli.support import console, fail_cleanly, parse_time


@click.group()
def lineage() -> None:
    """Row-level provenance of feature values and the dataset/job graph."""


@lineage.command()
@click.argument("target", metavar="VIEW:FEATURE")
@click.option("--symbol", required=True, help="The entity (symbol) whose value to trace.")
@click.option("--at", "at", help="Trace the value a training row at this time gets.")
@click.option("--online", is_flag=True, help="Trace the value the online store serves now.")
@click.option("--json", "as_json", is_flag=True, help="Print the chain as JSON.")
@click.pass_obj
@fail_cleanly
def trace(ctx, target: str, symbol: str, at: str | None, online: bool, as_json: bool):  # noqa: ANN001
    """Trace a value to its offline row, transform run, definition, lake rows (vendor file,
    lines, sha256), gate rules and materialization."""
    from axiom_features.lineage.lookup import trace_value
    from axiom_features.lineage.render import render_trace

    found = trace_value(
        ctx.repo, target, symbol, at=parse_time(at, None) if at else None, online=online,
        profile=ctx.profile,
    )  # fmt: skip
    if as_json:
        click.echo(json.dumps(found.to_dict(), indent=2, default=str))
    else:
        console.print(render_trace(found))


@lineage.command()
@click.option("--dot", is_flag=True, help="Graphviz DOT instead of text.")
@click.pass_obj
@fail_cleanly
def graph(ctx, dot: bool):  # noqa: ANN001 - cli.Context
    """Draw the dataset and job graph from the recorded runs."""
    from axiom_features.lineage.graph import lineage_graph

    drawn = lineage_graph(ctx.repo)
    click.echo(drawn.dot() if dot else drawn.text())
