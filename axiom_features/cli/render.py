"""Terminal renderings of job results: the one-screen summaries the CLI prints."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
from rich.console import RenderableType
from rich.table import Table

from axiom_features.cli.support import summary_table
from axiom_features.ingest import ImportResult
from axiom_features.materialize.run_context import MaterializedView
from axiom_features.quality import BAR_RULES, Severity


def import_summary(result: ImportResult) -> Table:
    """Rows in, accepted and quarantined (they always add up), and why rows were held back."""
    rows: list[tuple[str, object]] = [
        ("rows in", f"{result.rows_in:,}"),
        (
            "accepted",
            f"{result.accepted:,}  ({result.new_rows:,} new, "
            f"{result.already_present:,} already in the lake)",
        ),
        ("quarantined", f"{result.quarantined:,}"),
        ("timezone of naive timestamps", result.timezone),
    ]
    if result.corrections:
        done = {"quarantine": "held", "replace": f"{result.replaced:,} replaced", "keep": "kept"}
        rows.append(("corrections", f"{result.corrections:,} ({done[result.on_conflict]})"))
    warn_rules = {r.name for r in BAR_RULES if r.severity is Severity.WARN}
    for rule, count in sorted(result.rule_counts.items()):
        verb = "warned" if rule in warn_rules else "failed"
        rows.append((f"  {verb} {rule}", f"{count:,}"))
    if result.adj_close_ignored:
        rows.append(("Adj Close", "present and ignored (use --use-adjusted to apply it)"))
    rows += [("hint", hint) for hint in result.hints]
    if result.already_held:
        rows.append(("already in quarantine", f"{result.already_held:,} (not stored again)"))
    if result.quarantine_path is not None:
        rows.append(("quarantine file", str(result.quarantine_path)))
    return summary_table("import", rows)


def materialize_table(run_id: str, views: list[MaterializedView]) -> Table:
    table = Table(
        "feature view",
        "version",
        "rows written",
        "profile",
        title=f"materialize {run_id}",
        title_justify="left",
    )
    for v in views:
        table.add_row(v.feature_view, v.version or "-", f"{v.rows:,}", v.profile_path or "-")
    return table


def demo_report(result) -> Iterator[RenderableType]:  # noqa: ANN001 - DemoResult (avoids a cycle)
    """Every part of the demo's closing screen."""
    yield import_summary(result.imported)
    yield summary_table(
        "transform",
        [(view, f"{rows:,} rows") for view, rows in result.transformed.rows_per_view.items()],
    )
    yield materialize_table(result.materialize_run_id, result.materialized)

    yield online_table(result.online)

    start, end = result.training_range
    yield summary_table(
        "training frame (get_historical_features, feature service all_features)",
        [
            ("shape", f"{result.training_shape[0]:,} rows x {result.training_shape[1]:,} columns"),
            ("event time range", f"{start} .. {end}"),
            ("non-null feature values", f"{result.training_non_null_share:.1%}"),
        ],
    )
    if result.clean_monitoring is not None:
        from axiom_features.cli.render_drift import causes_table

        yield causes_table(result.clean_monitoring.causes, "before the fault: drift root causes")
    if result.monitoring is not None:
        yield from monitoring_report(result.monitoring, focus=result.drift_feature_view)
    if result.stream is not None:
        from axiom_features.cli.render_stream import stream_report

        yield from stream_report(result.stream)


def monitoring_report(result, focus: str | None = None) -> Iterator[RenderableType]:  # noqa: ANN001
    """Drift share per view, the flagged features of ``focus`` (default: the most drifted
    view), and the incidents this check opened and delivered."""
    from axiom_features.cli.render_drift import causes_table, drift_table

    if not result.drift:
        yield "no drift checked: no day profiles stored yet"
        return
    reports = sorted(result.drift, key=lambda r: -r.dataset_drift_share)
    shares = Table("feature view", "checked", "drifted", "share", title="drift by view",
                   title_justify="left")  # fmt: skip
    for r in reports:
        mark = " [bold red]dataset drift[/]" if r.dataset_drift else ""
        shares.add_row(r.feature_view, str(len(r.checked)), str(len(r.drifted_features)),
                       f"{r.dataset_drift_share:.0%}{mark}")  # fmt: skip
    yield shares
    chosen = next((r for r in reports if r.feature_view == focus), reports[0])
    yield drift_table(chosen)
    yield causes_table(result.causes)
    by_subject: dict[str, list] = {}
    for alert in result.delivered:
        subject = alert.labels.get("feature_view") or alert.subject
        by_subject.setdefault(subject, []).append(alert)
    table = Table(
        "view / job",
        "new",
        "critical",
        "keys",
        title=f"alerts: {len(result.delivered)} new incident(s) delivered, "
        f"{len(result.alerts) - len(result.delivered)} still open from earlier checks",
        title_justify="left",
    )
    for subject, alerts in sorted(by_subject.items(), key=lambda kv: -len(kv[1])):
        critical = [a.key for a in alerts if a.severity == "critical"]
        keys = ", ".join(a.key.split(":")[-1] for a in alerts[:5]) + (
            " …" if len(alerts) > 5 else ""
        )
        table.add_row(subject, str(len(alerts)), ", ".join(critical) or "-", keys)
    yield table


def online_table(online: pd.DataFrame) -> Table:
    """Online features with one column per symbol, so many features still fit one screen."""
    by_symbol = online.set_index("symbol")
    table = Table(title="online features (get_online_features)", title_justify="left")
    table.add_column("feature")
    for symbol in by_symbol.index:
        table.add_column(str(symbol), justify="right")
    for feature in by_symbol.columns:
        table.add_row(feature, *[_fmt(v) for v in by_symbol[feature]])
    return table


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.4f}"
    return str(value)
