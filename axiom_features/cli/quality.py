"""``axiom quality …``: gate options, quarantine, release, metrics, reports, consensus."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.table import Table

from axiom_features.cli.support import console, err_console, fail_cleanly, print_json


def _ctx():  # noqa: ANN202 - the shared CLI Context
    from axiom_features.cli.context import Context

    return click.get_current_context().find_object(Context)


def _repo():  # noqa: ANN202 - RepoPaths
    from axiom_features.paths import RepoPaths

    return RepoPaths(_ctx().repo)


@click.group()
def quality() -> None:
    """The data-quality framework: gate, quarantine, metrics, outliers, reports, consensus."""


@quality.command("ingest")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--timezone", default="UTC", show_default=True)
@click.option("--source", default="file", show_default=True)
@click.option("--calendar", default="XNYS", show_default=True)
@click.option("--block", "block", multiple=True, help="Make this rule block the batch (repeat).")
@click.option("--warn", "warn", multiple=True, help="Make this rule only warn (repeat).")
@click.option("--allowed-symbols", help="Comma-separated symbols; others are quarantined.")
@click.option("--reference", help="Provider in the lake that measures accuracy.")
@fail_cleanly
def ingest(paths, timezone, source, calendar, block, warn, allowed_symbols, reference):  # noqa: ANN001
    """Import bar files with gate options (severity overrides, allowed symbols, reference)."""
    from axiom_features.cli.render import import_summary
    from axiom_features.ingest import QualityOptions
    from axiom_features.pipeline import jobs

    options = QualityOptions(
        severities={**{r: "warn" for r in warn}, **{r: "block" for r in block}},
        allowed_symbols=tuple(allowed_symbols.split(",")) if allowed_symbols else None,
        reference_source=reference,
    )
    result = jobs.ingest_files(
        _ctx().repo, list(paths), timezone=timezone, source=source, calendar=calendar,
        quality=options,
    )  # fmt: skip
    console.print(import_summary(result))
    if result.metrics is not None:
        console.print(f"quality score {result.metrics.score:.1f} / 100  (run {result.run_id})")


@quality.command("quarantine")
@click.option("--run", "run_id", help="Only rows held by this run.")
@click.option("--json", "as_json", is_flag=True)
@click.option("--export", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the rows to a CSV/Parquet file to fix and release.")  # fmt: skip
@click.option("--limit", default=50, show_default=True, help="Rows shown in the table.")
@fail_cleanly
def quarantine(run_id: str | None, as_json: bool, export: Path | None, limit: int):
    """Rows held back by the gate, with their run, file, line and failed rules."""
    from axiom_features.quality import read_quarantine
    from axiom_features.quality.release_files import export_held

    held = read_quarantine(_repo(), run_id)
    if export is not None:
        export_held(held, export)
        console.print(f"wrote {len(held):,} held rows to {export}")
        return
    columns = ["run_id", "source_file", "source_line", "symbol", "event_timestamp",
               "failed_rules"]  # fmt: skip
    if as_json:
        print_json(held[columns].to_dict(orient="records"))
        return
    table = Table(*columns, title=f"{len(held):,} quarantined rows", title_justify="left")
    for row in held[columns].head(limit).itertuples(index=False):
        table.add_row(*[str(v) for v in row])
    console.print(table)


@quality.command("release")
@click.option("--run", "run_id", help="Only rows held by this run (default: all).")
@click.option("--fixes", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Fixed rows (as exported by `quarantine --export`).")  # fmt: skip
@fail_cleanly
def release(run_id: str | None, fixes: Path | None):
    """Re-validate held rows (with their fixes) and admit those that now pass."""
    from axiom_features.cli.support import summary_table
    from axiom_features.pipeline import jobs

    result = jobs.release_quarantine(_ctx().repo, run_id=run_id, fixes=fixes)
    rows = [
        ("considered", f"{result.considered:,}"),
        ("released", f"{result.released:,}  ({result.new_rows:,} new in the lake)"),
        ("still held", f"{result.still_held:,}"),
        *[(f"  failed {k}", f"{n:,}") for k, n in sorted(result.rule_counts.items())],
    ]
    console.print(summary_table(f"release {result.release_id}", rows))


@quality.command("metrics")
@click.option("--last", default=20, show_default=True, help="How many runs.")
@click.option("--source", help="Only runs of this provider.")
@click.option("--json", "as_json", is_flag=True)
@fail_cleanly
def metrics(last: int, source: str | None, as_json: bool):
    """Quality metrics of the last runs, and anomalies found in their series."""
    from axiom_features.quality.metrics import MetricStore, detect_metric_anomalies

    series = MetricStore(_repo()).series(source=source)
    anomalies = detect_metric_anomalies(series)
    shown = series.tail(last)
    anomalies = anomalies[anomalies["run_id"].isin(shown["run_id"])]
    if as_json:
        print_json(
            {
                "metrics": shown.astype(object).where(shown.notna(), None).to_dict("records"),
                "anomalies": anomalies.to_dict("records"),
            }
        )
        return
    cols = ["run_id", "source", "rows_in", "score", "completeness", "consistency", "accuracy",
            "uniqueness", "timeliness"]  # fmt: skip
    table = Table(*cols, title="quality metrics", title_justify="left")
    for row in shown[cols].itertuples(index=False):
        table.add_row(*[f"{v:.4f}" if isinstance(v, float) else str(v) for v in row])
    console.print(table)
    for row in anomalies.itertuples():
        console.print(f"[yellow]anomaly[/] {row.run_id} {row.metric}={row.value:.4f} "
                      f"({row.method}: expected {row.lower}..{row.upper})")  # fmt: skip


@quality.command("report")
@click.argument("run_id", required=False)
@click.option("--html", "html_path", type=click.Path(dir_okay=False, path_type=Path),
              help="HTML file (default data/quality/reports/<run>.html).")  # fmt: skip
@fail_cleanly
def report(run_id: str | None, html_path: Path | None):
    """A run's rules, counts, examples, metrics, score and outliers; exit 1 if it was blocked."""
    from axiom_features.quality.report import build_report
    from axiom_features.quality.report_render import terminal, to_html
    from axiom_features.quality.store import quality_dir

    built = build_report(_repo(), run_id)
    for renderable in terminal(built):
        console.print(renderable)
    path = html_path or quality_dir(_repo()) / "reports" / f"{built.run_id}.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_html(built))
    console.print(f"HTML report: {path}")
    if built.blocked:
        err_console.print(f"[bold red]error:[/] {built.block_line()}", soft_wrap=True)
        sys.exit(1)


def _file_feed(path: Path, name: str, timezone: str):  # noqa: ANN202 - a provider loader
    def load():  # noqa: ANN202
        from datetime import UTC, datetime

        from axiom_features.ingest.normalize import normalize
        from axiom_features.ingest.sources import read_source

        part = normalize(
            read_source(path), timezone=timezone, source=name, created_at=datetime.now(UTC)
        )
        return part.bars[part.failures == ""]

    return load


@quality.command("consensus")
@click.option("--provider", "providers", multiple=True, metavar="NAME=FILE",
              help="A provider's bar file (repeat; two or more).")  # fmt: skip
@click.option("--synthetic", type=int, help="Instead: N synthetic symbols from 3 providers.")
@click.option("--days", default=60, show_default=True, help="Sessions for --synthetic.")
@click.option("--tolerance", default=0.01, show_default=True, help="Relative price tolerance.")
@click.option("--timezone", default="UTC", show_default=True)
@fail_cleanly
def consensus(providers, synthetic, days, tolerance, timezone):  # noqa: ANN001
    """Merge providers into consensus bars (median per field), flag disagreements, score them."""
    from axiom_features.cli.support import summary_table
    from axiom_features.pipeline import jobs

    if synthetic:
        from axiom_features.quality.consensus import synthetic_providers
        from axiom_features.synthetic.bars import generate_bars

        made = synthetic_providers(generate_bars(synthetic, days), disagree_rows=5)
        feeds = {name: (lambda f=frame: f) for name, frame in made.frames.items()}
    else:
        pairs = [p.split("=", 1) for p in providers]
        if len(pairs) < 2 or any(len(p) != 2 for p in pairs):
            raise click.UsageError("give two or more --provider NAME=FILE (or --synthetic N)")
        feeds = {name: _file_feed(Path(file), name, timezone) for name, file in pairs}
    run = jobs.consensus_ingest(_ctx().repo, feeds, tolerance=tolerance)
    rows = [
        ("consensus bars", f"{len(run.merged.bars):,}"),
        ("accepted / quarantined", f"{run.imported.accepted:,} / {run.imported.quarantined:,}"),
        ("disagreements", f"{len(run.merged.disagreements):,}  ({run.disagreements_path})"),
        *[(f"  provider {n}", f"score {s:.3f}") for n, s in sorted(run.scores.items())],
        *[(f"  failed {n}", why) for n, why in run.merged.failed.items()],
    ]
    console.print(summary_table(f"consensus {run.imported.run_id}", rows))
