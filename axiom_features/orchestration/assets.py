"""The asset graph, generated from the catalogue: lakes → one offline table per view →
one online view per view → drift, partitioned by trading day.

A view's offline table depends on the lakes its family reads (``Family.needs``); every
asset body is one of the platform's job functions, so each step leaves its run record.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from axiom_features.orchestration.retries import retry_transient
from axiom_features.orchestration.sessions import EXCHANGE, session_close, session_partitions
from axiom_features.pipeline import jobs

LAKES: tuple[str, ...] = ("bars", "fundamentals", "news")
FAMILY_LAKES: dict[str, str] = {"fundamentals": "fundamentals", "news": "news"}
"""The lake behind each extra input a family may need (``market`` reads the bars)."""
DRIFT = dg.AssetKey(["monitoring", "drift"])


def lake_key(lake: str) -> dg.AssetKey:
    return dg.AssetKey(["lake", lake])


def lake_op(lake: str) -> str:
    """The step (op) name of a lake's asset, as run config names it."""
    return "__".join(lake_key(lake).path)


def offline_key(view: str) -> dg.AssetKey:
    return dg.AssetKey(["offline", view])


def online_key(view: str) -> dg.AssetKey:
    return dg.AssetKey(["online", view])


@dataclass(frozen=True)
class Settings:
    """Which repository and profile the assets work on."""

    root: Path
    profile: str = "default"
    workers: int = 1
    exchange: str = EXCHANGE


class LakeFiles(dg.Config):
    """Files a run imports into one lake (none: the lake is taken as it stands)."""

    files: list[str] = []
    block: list[str] = []
    """Bar rules whose failure blocks the whole batch (e.g. ``high_is_max``), beyond those
    that block by default."""


def view_lakes() -> dict[str, list[str]]:
    """Each catalogue view → the lakes its family reads (always the bars)."""
    from transforms.catalogue import catalogue
    from transforms.families import family_named

    cat = catalogue()
    return {
        name: [
            "bars",
            *(
                FAMILY_LAKES[n]
                for n in sorted(family_named(cat.family_of(name)).needs)
                if n in FAMILY_LAKES
            ),
        ]
        for name in cat.views
    }


def build_assets(settings: Settings) -> list[dg.AssetsDefinition]:
    """Every asset of the pipeline for ``settings``' repository."""
    partitions = session_partitions(settings.exchange)
    lakes = [_lake_asset(settings, lake, partitions) for lake in LAKES]
    return [
        *lakes,
        _offline_asset(settings, partitions),
        _online_asset(settings, partitions),
        _drift_asset(settings, partitions),
    ]


QUALITY_GATE = "quality_gate"


def _lake_asset(
    settings: Settings, lake: str, partitions: dg.PartitionsDefinition
) -> dg.AssetsDefinition:
    checks = (
        [
            dg.AssetCheckSpec(
                QUALITY_GATE,
                asset=lake_key(lake),
                blocking=True,
                description="The quality gate: a blocked batch stops everything downstream.",
            )
        ]
        if lake == "bars"
        else []
    )

    @dg.asset(
        key=lake_key(lake),
        group_name="lakes",
        partitions_def=partitions,
        check_specs=checks,
        description=f"Accepted {lake} in data/lake/{lake}/, imported through the quality gate.",
    )
    def lake_asset(context: dg.AssetExecutionContext, config: LakeFiles) -> dg.MaterializeResult:
        files = [Path(f) for f in config.files]
        if lake == "bars":
            return _import_bars(context, settings, files, config.block)
        counts = [
            retry_transient(context, lambda f=f: _import_table(settings, lake, f)) for f in files
        ]
        return dg.MaterializeResult(
            metadata={
                "files": len(files),
                "accepted": sum(c.accepted for c in counts),
                "rejected": sum(c.rejected for c in counts),
            }
        )

    return lake_asset


def _import_table(settings: Settings, lake: str, path: Path):  # noqa: ANN202 - TableImport
    if lake == "news":
        return jobs.ingest_news(settings.root, path)
    return jobs.ingest_fundamentals(settings.root, path)


def _import_bars(
    context: dg.AssetExecutionContext, settings: Settings, files: list[Path], block: list[str]
) -> dg.MaterializeResult:
    """Import ``files``; a blocked batch fails the blocking quality check (not retried)."""
    from axiom_features.ingest import QualityOptions
    from axiom_features.quality import BatchBlocked

    if not files:
        gate = dg.AssetCheckResult(check_name=QUALITY_GATE, passed=True, metadata={"files": 0})
        return dg.MaterializeResult(metadata={"files": 0}, check_results=[gate])
    try:
        quality = QualityOptions(severities={rule: "block" for rule in block})
        result = retry_transient(
            context,
            lambda: jobs.ingest_files(
                settings.root, files, calendar=settings.exchange, quality=quality
            ),
        )
    except BatchBlocked as exc:
        gate = dg.AssetCheckResult(
            check_name=QUALITY_GATE,
            passed=False,
            severity=dg.AssetCheckSeverity.ERROR,
            description=str(exc).splitlines()[0],
            metadata={"run_id": getattr(exc, "axiom_run_id", "")},
        )
        return dg.MaterializeResult(
            metadata={"files": len(files), "blocked": True}, check_results=[gate]
        )
    counts = {
        "rows_in": result.rows_in,
        "accepted": result.accepted,
        "quarantined": result.quarantined,
        "new_rows": result.new_rows,
    }
    gate = dg.AssetCheckResult(
        check_name=QUALITY_GATE, passed=True, metadata={"run_id": result.run_id, **counts}
    )
    return dg.MaterializeResult(
        metadata={"files": len(files), "run_id": result.run_id, **counts}, check_results=[gate]
    )


def _offline_asset(settings: Settings, partitions: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    specs = [
        dg.AssetSpec(
            offline_key(view),
            deps=[lake_key(lake) for lake in lakes],
            group_name="offline",
            partitions_def=partitions,
            description=f"Offline table data/offline/{view}/ (and its day profiles)",
        )
        for view, lakes in view_lakes().items()
    ]

    @dg.multi_asset(name="transform", specs=specs, can_subset=True, partitions_def=partitions)
    def offline_tables(context: dg.AssetExecutionContext) -> Iterator[dg.MaterializeResult]:
        views = [key.path[1] for key in specs_in(context, "offline")]
        result = retry_transient(
            context,
            lambda: jobs.transform(
                settings.root, views=views, workers=settings.workers, profile=settings.profile
            ),
        )
        for view in views:
            yield dg.MaterializeResult(
                asset_key=offline_key(view), metadata={"rows": result.rows_per_view.get(view, 0)}
            )

    return offline_tables


FRESHNESS = "freshness"


def _online_asset(settings: Settings, partitions: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    views = list(view_lakes())
    specs = [
        dg.AssetSpec(
            online_key(v),
            deps=[offline_key(v)],
            group_name="online",
            partitions_def=partitions,
            description=f"Online rows of {v}, profiled",
        )
        for v in views
    ]
    checks = [
        dg.AssetCheckSpec(
            FRESHNESS, asset=online_key(v), description="Newest online row against the view's SLA"
        )
        for v in views
    ]

    @dg.multi_asset(
        name="materialize",
        specs=specs,
        check_specs=checks,
        can_subset=True,
        partitions_def=partitions,
    )
    def online_views(context: dg.AssetExecutionContext) -> Iterator[dg.MaterializeResult]:
        chosen = [key.path[1] for key in specs_in(context, "online")]
        end = session_close(context.partition_key, settings.exchange)
        retry_transient(context, lambda: jobs.apply(settings.root, settings.profile))
        done = retry_transient(
            context,
            lambda: jobs.materialize(
                settings.root, None, end, views=chosen, profile=settings.profile
            ),
        )
        rows = {v.feature_view: v.rows for v in done.views}
        fresh = freshness_results(settings, chosen, end)
        for view in chosen:
            yield dg.MaterializeResult(
                asset_key=online_key(view),
                metadata={"rows": rows.get(view, 0), "run_id": done.run_id},
                check_results=[fresh[view]],
            )

    return online_views


def specs_in(context: dg.AssetExecutionContext, layer: str) -> list[dg.AssetKey]:
    """The selected keys of one layer, in catalogue order."""
    chosen = set(context.selected_asset_keys)
    return [dg.AssetKey([layer, v]) for v in view_lakes() if dg.AssetKey([layer, v]) in chosen]


def freshness_results(settings: Settings, views: list[str], now) -> dict[str, dg.AssetCheckResult]:  # noqa: ANN001
    """Each view's freshness against its SLA (``monitoring.yaml``) as of ``now``."""
    from axiom_features.ops.health import freshness_check
    from monitoring.config import load_config

    store = jobs.open_store(settings.root, settings.profile)
    config = load_config(settings.root)
    results = {}
    for view in views:
        check = freshness_check(settings.root, store, store.get_feature_view(view), now, config)
        severity = (
            dg.AssetCheckSeverity.ERROR
            if check.status == "critical"
            else (dg.AssetCheckSeverity.WARN)
        )
        results[view] = dg.AssetCheckResult(
            asset_key=online_key(view),
            check_name=FRESHNESS,
            passed=check.status == "ok",
            severity=severity,
            description=check.detail,
        )
    return results


def _drift_asset(settings: Settings, partitions: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    @dg.asset(
        key=DRIFT,
        deps=[online_key(v) for v in view_lakes()],
        group_name="monitoring",
        partitions_def=partitions,
        description="Drift of the profiled views against their references; alerts delivered.",
    )
    def drift(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        from axiom_features.ops.monitor import monitor

        now = session_close(context.partition_key, settings.exchange)
        result = retry_transient(
            context, lambda: monitor(settings.root, settings.profile, now=now, with_health=False)
        )
        return dg.MaterializeResult(
            metadata={
                "run_id": result.run_id,
                "views_checked": len(result.drift),
                "alerts": len(result.alerts),
            }
        )

    return drift
