"""``axiom serve`` and ``axiom consistency``: the online side of the CLI."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import click

from axiom_features.cli.support import console, fail_cleanly, parse_time, print_json


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=6566, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int, help="Server processes.")
@click.option(
    "--max-body-bytes", default=1_048_576, show_default=True, type=int, help="Largest body read."
)
@click.option(
    "--max-entity-rows", default=1_000, show_default=True, type=int, help="Rows per request."
)
@click.pass_obj
@fail_cleanly
def serve(ctx, host: str, port: int, workers: int, max_body_bytes: int, max_entity_rows: int):  # noqa: ANN001
    """Serve online features over HTTP (feast serve's /get-online-features API)."""
    from axiom_features.pipeline import jobs

    console.print(f"serving {ctx.profile} profile of {ctx.repo} on http://{host}:{port}")
    jobs.serve_online(
        ctx.repo,
        ctx.profile,
        host=host,
        port=port,
        workers=workers,
        max_body_bytes=max_body_bytes,
        max_entity_rows=max_entity_rows,
    )


@click.command()
@click.option("--views", help="Comma-separated feature views (default: all online views).")
@click.option("--sample", default=100, show_default=True, help="Entities sampled per view.")
@click.option("--seed", default=0, show_default=True, help="Sampling seed.")
@click.option("--as-of", "as_of", help="Reference time (default: the last materialization end).")
@click.option("--rel-tol", default=0.0, show_default=True, help="Relative float tolerance.")
@click.pass_obj
@fail_cleanly
def consistency(
    ctx,  # noqa: ANN001 - cli.Context
    views: str | None,
    sample: int,
    seed: int,
    as_of: str | None,
    rel_tol: float,
):
    """Compare online values with the latest offline values; JSON report. Exit 1 on a
    mismatch, on online rows with no offline row, or when a view compared nothing."""
    from axiom_features.pipeline import jobs

    report = jobs.check_online_consistency(
        ctx.repo,
        ctx.profile,
        views=views.split(",") if views else None,
        sample=sample,
        seed=seed,
        as_of=parse_time(as_of, datetime.now(UTC)) if as_of else None,
        rel_tol=rel_tol,
    )
    print_json(report.to_json())
    sys.exit(0 if report.ok else 1)
