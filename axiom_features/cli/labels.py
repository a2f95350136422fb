"""``axiom labels``: programmatic labels, the annotation page, agreement, consensus,
versions and Label Studio import/export."""

from __future__ import annotations

from pathlib import Path

import click

from axiom_features.cli.support import console, fail_cleanly, print_json, summary_table

SCHEMA = click.option(
    "--schema", "schema_path", required=True,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="The label schema (YAML or JSON).",
)  # fmt: skip


def _schema(path: Path):  # noqa: ANN202 - LabelSchema
    from axiom_features.labeling.schema import load_schema

    return load_schema(path)


@click.group()
def labels() -> None:
    """Labels: generate, annotate, measure agreement, reach consensus, version."""


@labels.command()
@click.argument("name")
@click.option(
    "--method",
    default="triple_barrier",
    show_default=True,
    type=click.Choice(["triple_barrier", "fixed_horizon", "trend_scanning", "meta"]),
)
@click.option("--horizon", default=10, show_default=True, help="Vertical barrier / horizon, bars.")
@click.option("--pt", default=1.0, show_default=True, help="Profit-taking, × volatility.")
@click.option("--sl", default=1.0, show_default=True, help="Stop-loss, × volatility.")
@click.option("--symbols", help="Comma-separated symbols (default: all in the lake).")
@click.option(
    "--register/--no-register",
    default=True,
    show_default=True,
    help="Register the LabelView with Feast.",
)
@click.pass_obj
@fail_cleanly
def generate(ctx, name, method, horizon, pt, sl, symbols, register):  # noqa: ANN001, ANN201
    """Label the bar lake programmatically into label set NAME (a Feast LabelView)."""
    from axiom_features.labeling.barriers import Barriers
    from axiom_features.labeling.workflow import generate_labels

    chosen = symbols.split(",") if symbols else None
    barriers = Barriers(pt, sl, horizon)
    frame, version, path = generate_labels(
        ctx.repo, name, method, barriers, chosen, profile=ctx.profile
    )
    if register:
        from axiom_features.feature_store import open_store
        from axiom_features.labeling.feast_labels import register_label_view

        register_label_view(open_store(ctx.repo, ctx.profile), name)
    counts = frame["label"].value_counts().sort_index().to_dict()
    console.print(summary_table(f"labels {name}", [
        ("method", method), ("labels", len(frame)), ("by class", counts),
        ("version", version), ("table", path), ("registered", register),
    ]))  # fmt: skip


@labels.command()
@SCHEMA
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=6570, show_default=True, type=int)
@click.option("--every", default=5, show_default=True, help="Offer every N-th bar per symbol.")
@click.option("--gold-every", default=4, show_default=True, help="A gold item after N items.")
@click.option(
    "--active",
    type=click.Choice(["uncertainty", "margin", "entropy", "committee"]),
    help="Order the queue by active learning on --features.",
)
@click.option("--features", help="Comma-separated view:feature refs for --active.")
@click.pass_obj
@fail_cleanly
def serve(ctx, schema_path, host, port, every, gold_every, active, features):  # noqa: ANN001, ANN201
    """Serve the annotation page on HOST:PORT."""
    from axiom_features.labeling.queue import mix_gold, order_by_score
    from axiom_features.labeling.server import make_server
    from axiom_features.labeling.workflow import annotation_app, human_labels

    schema = _schema(schema_path)
    app = annotation_app(ctx.repo, ctx.profile, schema, every, gold_every)
    if active:
        if not features:
            raise ValueError("--features: required with --active")
        from axiom_features.feature_store import open_store
        from axiom_features.labeling.training import active_scores

        gold = [g.item for g in schema.gold]
        regular = [i for i in app.queue.items if i not in set(gold)]
        done = human_labels(ctx.repo, ctx.profile, schema)
        scores = active_scores(open_store(ctx.repo, ctx.profile), regular, done,
                               features.split(","), active)  # fmt: skip
        app.queue.items = mix_gold(order_by_score(regular, scores), gold, gold_every)
    server = make_server(app, host, port)
    console.print(f"annotating {schema.ref}: {len(app.queue.items)} items on "
                  f"http://{host}:{server.server_port}/")  # fmt: skip
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@labels.command()
@SCHEMA
@click.option("--samples", default=500, show_default=True, help="Bootstrap resamples.")
@click.pass_obj
@fail_cleanly
def agreement(ctx, schema_path, samples):  # noqa: ANN001, ANN201
    """Agreement (Krippendorff, Fleiss, Cohen), gold accuracy and the adjudication queue."""
    from axiom_features.labeling.workflow import agreement_report

    print_json(agreement_report(ctx.repo, ctx.profile, _schema(schema_path), samples))


@labels.command()
@SCHEMA
@click.option(
    "--method",
    default="dawid_skene",
    show_default=True,
    type=click.Choice(["majority", "dawid_skene"]),
)
@click.option("--name", help="Also write the consensus as label set NAME (a Feast LabelView).")
@click.pass_obj
@fail_cleanly
def consensus(ctx, schema_path, method, name):  # noqa: ANN001, ANN201
    """Consensus label per item; optionally a versioned label set."""
    from axiom_features.labeling.workflow import consensus as decide
    from axiom_features.labeling.workflow import publish_consensus

    schema = _schema(schema_path)
    result = decide(ctx.repo, ctx.profile, schema, method)
    if name:
        frame, version = publish_consensus(ctx.repo, ctx.profile, name, result, method)
        console.print(f"label set {name}: {len(frame)} labels, version {version}")
    print_json(result.round(4).to_dict("records"))


@labels.command()
@click.argument("name")
@click.pass_obj
@fail_cleanly
def snapshot(ctx, name):  # noqa: ANN001, ANN201
    """Snapshot label set NAME's current table; prints its version (content hash)."""
    from axiom_features.labeling.versions import snapshot as keep
    from axiom_features.labeling.workflow import label_set

    click.echo(keep(ctx.repo, label_set(ctx.repo, name), name))


@labels.command()
@click.argument("old")
@click.argument("new")
@click.pass_obj
@fail_cleanly
def diff(ctx, old, new):  # noqa: ANN001, ANN201
    """Labels added, removed and changed from version OLD to NEW."""
    from axiom_features.labeling.versions import diff as compare
    from axiom_features.labeling.versions import load_version

    print_json(compare(load_version(ctx.repo, old), load_version(ctx.repo, new)).to_json())


@labels.command(name="export")
@SCHEMA
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
@fail_cleanly
def export_(ctx, schema_path, out):  # noqa: ANN001, ANN201
    """Export annotations as Label Studio JSON tasks."""
    from axiom_features.labeling.workflow import export_label_studio

    count = export_label_studio(ctx.repo, ctx.profile, _schema(schema_path), out)
    console.print(f"{count} tasks written to {out}")


@labels.command(name="import")
@SCHEMA
@click.argument("path", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.pass_obj
@fail_cleanly
def import_(ctx, schema_path, path):  # noqa: ANN001, ANN201
    """Import a Label Studio JSON export as annotation events."""
    from axiom_features.labeling.workflow import import_label_studio

    count = import_label_studio(ctx.repo, ctx.profile, _schema(schema_path), path)
    console.print(f"{count} annotation events appended")
