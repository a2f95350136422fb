"""``axiom pipeline``: run the daily job under Dagster, see its runs, resume one, open the UI."""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape

from axiom_features.cli.context import Context, pass_context
from axiom_features.cli.support import console, fail_cleanly


@click.group()
def pipeline() -> None:
    """The orchestrated pipeline: ingest → transform → materialize → drift, per session."""


@pipeline.command("run")
@click.option("--date", "day", help="The session (YYYY-MM-DD; default: the newest closed one).")
@click.option(
    "--bars",
    "bars",
    multiple=True,
    type=click.Path(path_type=Path),
    help="A bar file to import first (repeatable).",
)
@click.option(
    "--fundamentals",
    multiple=True,
    type=click.Path(path_type=Path),
    help="A fundamentals CSV to import first (repeatable).",
)
@click.option(
    "--news",
    multiple=True,
    type=click.Path(path_type=Path),
    help="A headline CSV to import first (repeatable).",
)
@click.option("--views", help="Comma-separated feature views (default: all).")
@click.option("--block", help="Comma-separated bar rules that block the batch (e.g. high_is_max).")
@click.option("--workers", default=1, show_default=True, help="Transform processes.")
@pass_context
@fail_cleanly
def run(
    ctx: Context,
    day: str | None,
    bars: tuple[Path, ...],
    fundamentals: tuple[Path, ...],
    news: tuple[Path, ...],
    views: str | None,
    block: str | None,
    workers: int,
) -> None:
    """Run one session's daily update (each step also leaves its own run record)."""
    from axiom_features.orchestration.runner import run_pipeline

    files = {"bars": list(bars), "fundamentals": list(fundamentals), "news": list(news)}
    result = run_pipeline(
        ctx.repo,
        ctx.profile,
        day=day,
        files={lake: paths for lake, paths in files.items() if paths},
        views=views.split(",") if views else None,
        block=block.split(",") if block else None,
        workers=workers,
    )
    print_runs([result])


@pipeline.command("resume")
@click.option("--workers", default=1, show_default=True, help="Transform processes.")
@pass_context
@fail_cleanly
def resume(ctx: Context, workers: int) -> None:
    """Finish the last failed or interrupted pipeline run from where it stopped."""
    from axiom_features.orchestration.runner import resume_pipeline

    print_runs([resume_pipeline(ctx.repo, ctx.profile, workers=workers)])


@pipeline.command("status")
@click.option("--limit", default=10, show_default=True, help="Runs to show, newest last.")
@pass_context
@fail_cleanly
def status(ctx: Context, limit: int) -> None:
    """The latest pipeline runs: outcome, session and each step's state."""
    from axiom_features.orchestration.runner import pipeline_runs

    runs = pipeline_runs(ctx.repo, limit, ctx.profile)
    if not runs:
        console.print(f"no pipeline run in {ctx.repo}")
        return
    print_runs(runs)


@pipeline.command("ui")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=3000, show_default=True)
@pass_context
@fail_cleanly
def ui(ctx: Context, host: str, port: int) -> None:
    """Serve Dagster's UI (asset graph, runs, schedule, sensor) until interrupted."""
    from axiom_features.orchestration.webserver import serve_ui

    console.print(f"Dagster UI on http://{host}:{port} (Ctrl-C stops it)")
    raise SystemExit(serve_ui(ctx.repo, ctx.profile, host=host, port=port))


def print_runs(runs) -> None:  # noqa: ANN001 - list[PipelineRun]
    """One line per run (id, command, session, outcome), then one per step."""
    for item in runs:
        console.print(
            f"{item.run_id}  {item.command}  session {item.day or '-'}  {item.status}",
            soft_wrap=True,
        )
        for step, state in item.steps.items():
            console.print(f"  {step}: {state}", soft_wrap=True)
        if item.error:
            console.print(f"  error: {escape(item.error)}", soft_wrap=True)
