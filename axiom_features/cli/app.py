"""``axiom``: the root command group; every command group is registered here, once."""

from __future__ import annotations

import os
from pathlib import Path

import click

from axiom_features.cli.audit import audit
from axiom_features.cli.backfill import backfill, replay
from axiom_features.cli.context import Context
from axiom_features.cli.data import generate, ingest, ingest_fundamentals, ingest_news
from axiom_features.cli.demo import demo
from axiom_features.cli.features import apply, features, materialize, runs, transform
from axiom_features.cli.labels import labels
from axiom_features.cli.lineage import lineage
from axiom_features.cli.monitoring import cost, dashboard, drift, health, monitor
from axiom_features.cli.online import consistency, serve
from axiom_features.cli.output import plain_when_redirected
from axiom_features.cli.pipeline import pipeline
from axiom_features.cli.quality import quality
from axiom_features.cli.stores import offline
from axiom_features.cli.stream import stream
from axiom_features.cli.verify import repair, verify


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
    plain_when_redirected()
    ctx.obj = Context(repo, profile)


def main() -> None:
    cli(prog_name="axiom")


COMMANDS: tuple[click.Command, ...] = (
    audit,
    lineage,
    ingest,
    ingest_news,
    ingest_fundamentals,
    generate,
    transform,
    apply,
    materialize,
    features,
    runs,
    demo,
    quality,
    health,
    monitor,
    drift,
    cost,
    dashboard,
    serve,
    consistency,
    offline,
    labels,
    verify,
    repair,
    backfill,
    replay,
    pipeline,
    stream,
)
for command in COMMANDS:
    cli.add_command(command)
