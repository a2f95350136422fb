"""The platform's jobs as Python functions; each run leaves a run record.

The ``axiom`` CLI is a thin layer over these.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd

from axiom_features.backfill.transform_replay import record_for_replay
from axiom_features.ingest import ImportResult, QualityOptions, import_bars, import_frame
from axiom_features.lineage.hooks import recorded_log
from axiom_features.materialize.run_context import MaterializedView, materialization_run
from axiom_features.paths import RepoPaths
from axiom_features.pipeline.guards import REGISTRY_LOCK, guarded, view_locks
from axiom_features.pipeline.runs import RunLog
from axiom_features.pipeline.transform_job import TransformResult, lake_symbols, run_transform_job
from axiom_features.quality.consensus.merge import ConsensusResult
from axiom_features.quality.release import ReleaseResult
from axiom_features.scaleout.settings import ComputeSettings, compute_settings
from axiom_features.storage.settings import StorageSettings, storage_settings

Progress = Callable[[int, int], None]


def open_store(root: Path, profile: str = "default"):  # noqa: ANN201 - feast.FeatureStore
    """The Feast store of ``root``; Feast is imported by the jobs that need it, so the
    others (an ingest) start in a fraction of the time."""
    from axiom_features.feature_store import open_store as open_feast_store

    return open_feast_store(root, profile)


def apply_definitions(store) -> list[str]:  # noqa: ANN001 - feast.FeatureStore
    """Register ``feature_repo/`` in ``store``'s registry (what ``feast apply`` does)."""
    from axiom_features.feature_store import apply_definitions as apply

    return apply(store)


def _log(root: Path) -> RunLog:
    """The run log of ``root``; its runs also emit lineage events and audit entries."""
    return recorded_log(root)


def ingest_files(
    root: Path,
    paths: Sequence[Path],
    *,
    timezone: str = "UTC",
    source: str = "file",
    use_adjusted: bool = False,
    calendar: str = "XNYS",
    quality: QualityOptions | None = None,
) -> ImportResult:
    """Import bar files through the quality gate into the lake."""
    params = {
        "timezone": timezone,
        "source": source,
        "use_adjusted": use_adjusted,
        "calendar": calendar,
        "on_conflict": (quality or QualityOptions()).on_conflict,
    }
    with _log(root).track("ingest", parameters=params) as record:
        record.inputs = [str(p) for p in paths]
        result = import_bars(
            list(paths),
            RepoPaths(root),
            run_id=record.run_id,
            timezone=timezone,
            source=source,
            use_adjusted=use_adjusted,
            calendar=calendar,
            quality=quality,
        )
        _record_import(record, result)
    return result


def ingest_frame(
    root: Path,
    bars: pd.DataFrame,
    *,
    source: str,
    origin: str,
    quality: QualityOptions | None = None,
) -> ImportResult:
    """Import an in-memory bars frame (already in contract shape) through the quality gate."""
    with _log(root).track("ingest", parameters={"source": source}) as record:
        record.inputs = [origin]
        result = import_frame(
            bars,
            RepoPaths(root),
            run_id=record.run_id,
            source=source,
            origin=origin,
            quality=quality,
        )
        _record_import(record, result)
    return result


def _record_import(record, result: ImportResult) -> None:  # noqa: ANN001 - RunRecord
    record.outputs = ["lake:bars"] + ([str(result.quarantine_path)] if result.quarantined else [])
    record.row_counts = {
        "rows_in": result.rows_in,
        "accepted": result.accepted,
        "quarantined": result.quarantined,
        "new_rows": result.new_rows,
    }


def transform(
    root: Path,
    *,
    symbols: list[str] | None = None,
    views: list[str] | None = None,
    workers: int = 1,
    progress: Progress | None = None,
    profile: str | None = None,
    force: bool = False,
    wait: float = 0.0,
) -> TransformResult:
    """Compute the catalogue's feature views from the lake's bars into offline tables; when
    ``profile``'s offline store is PostgreSQL, the tables written are loaded there too (a
    failed load fails the run).

    Refuses over an interrupted upstream run unless ``force``; holds each view's job lock,
    waiting up to ``wait`` seconds for another job to release it."""
    from transforms.catalogue import catalogue

    params = {"symbols": symbols, "views": views, "workers": workers}
    names = [v.name for v in catalogue().select(views)]
    with (
        guarded(root, "transform", view_locks(names), force=force, wait=wait) as forced,
        _log(root).track("transform", parameters=params) as record,
    ):
        if forced:
            record.parameters["forced_over"] = [r.run_id for r in forced]
        record.inputs = ["lake:bars"]
        result = run_transform_job(
            RepoPaths(root, storage=_profile_storage(root, profile)),
            symbols=symbols,
            views=views,
            workers=workers,
            progress=progress,
            compute=_profile_compute(root, profile),
        )
        record.parameters["engine"] = result.engine
        repo = RepoPaths(root, storage=_profile_storage(root, profile))
        chosen = symbols if symbols is not None else lake_symbols(repo)
        record_for_replay(
            record, repo, result.created_timestamp, list(result.rows_per_view), chosen
        )
        record.outputs = [f"offline:{v}" for v in result.rows_per_view]
        record.row_counts = dict(result.rows_per_view)
        for view, count in result.non_finite.items():
            record.warnings.append(f"{view}: {count} infinite value(s) written")
        record.warnings += result.notes
        if profile is not None and profile_offline_is_postgres(root, profile):
            load_offline(root, profile, views=result.views, symbols=symbols)
            record.outputs += [f"postgres:{v}" for v in result.views]
    return result


def _profile_compute(root: Path, profile: str | None) -> ComputeSettings | None:
    """The compute settings of ``profile``'s ``feature_store.yaml``; None: the repo's own."""
    if profile is None:
        return None
    from axiom_features.feature_store import profile_yaml

    return compute_settings(profile_yaml(root, profile))


def _profile_storage(root: Path, profile: str | None) -> StorageSettings | None:
    """The storage settings of ``profile``'s ``feature_store.yaml``; None: the repo's own."""
    if profile is None:
        return None
    from axiom_features.feature_store import profile_yaml

    return storage_settings(profile_yaml(root, profile))


def profile_offline_is_postgres(root: Path, profile: str) -> bool:
    """Whether ``profile`` keeps its offline tables in PostgreSQL."""
    from axiom_features.offline.postgres_store import is_postgres_offline

    return is_postgres_offline(open_store(root, profile))


def apply(root: Path, profile: str = "default", *, wait: float = 0.0) -> list[str]:
    """Register the feature definitions (``feast apply``); returns the view names.

    Holds the registry's job lock (waiting up to ``wait`` seconds), so an apply and a
    materialization never interleave their writes of the registry."""
    with (
        guarded(root, "apply", [REGISTRY_LOCK], wait=wait),
        _log(root).track("apply", parameters={"profile": profile}) as record,
    ):
        views = apply_definitions(open_store(root, profile))
        record.outputs = [f"registry:{v}" for v in views]
    return views


@dataclass
class MaterializeResult:
    run_id: str
    start: datetime | None
    """None: each view from the end of its last materialization."""
    end: datetime
    views: list[MaterializedView]
    warnings: list[str] = field(default_factory=list)
    cleared_states: list[str] = field(default_factory=list)
    """Views whose ``MATERIALIZING`` state, left by a killed run, this run cleared."""


def materialize(
    root: Path,
    start: datetime | None,
    end: datetime,
    *,
    views: list[str] | None = None,
    profile: str = "default",
    force: bool = False,
    wait: float = 0.0,
) -> MaterializeResult:
    """Materialize ``[start, end]`` online; every view written gets a whylogs profile.

    With ``start`` None, each view starts where its last materialization ended (like
    ``feast materialize-incremental``; a view never materialized: all its history). A view
    that got no rows gets a warning saying why.

    Refuses over an interrupted upstream run unless ``force``; holds the registry's and each
    view's job lock (waiting up to ``wait`` seconds); clears a lifecycle state a killed
    materialization left behind; records lake symbols missing from a view's offline table
    as warnings; retries transient connection errors."""
    from axiom_features.materialize.incremental import incremental_windows
    from axiom_features.materialize.lifecycle import clear_stale_states
    from axiom_features.offline.coverage import gap_line, missing_symbols
    from axiom_features.resilience.retry import retrying

    params = {
        "start": start.isoformat() if start else "since last materialization",
        "end": end.isoformat(),
        "views": views,
        "profile": profile,
    }
    store = open_store(root, profile)
    names = views or [v.name for v in retrying(store.list_feature_views, what="materialize")]
    locks = [REGISTRY_LOCK, *view_locks(names)]
    with (
        guarded(root, "materialize", locks, force=force, wait=wait) as forced,
        _log(root).track("materialize", parameters=params) as record,
    ):
        if forced:
            record.parameters["forced_over"] = [r.run_id for r in forced]
        cleared = clear_stale_states(store, views)
        if cleared:
            record.parameters["cleared_states"] = cleared
        record.warnings += [gap_line(v, m) for v in names if (m := missing_symbols(root, v))]
        windows = {start: views} if start else incremental_windows(store, names)
        with materialization_run(record.run_id) as run:
            for since, group in windows.items():
                retrying(
                    lambda s=since, g=group: store.materialize(
                        start_date=s, end_date=end, feature_views=g
                    ),
                    what="materialize",
                )
        record.warnings += _empty_view_lines(
            store, windows, names, run.views, end, incremental=start is None
        )
        record.inputs = [f"offline:{v.feature_view}" for v in run.views]
        record.outputs = [f"online:{v.feature_view}" for v in run.views]
        record.row_counts = {v.feature_view: v.rows for v in run.views}
    return MaterializeResult(
        run_id=record.run_id,
        start=start,
        end=end,
        views=run.views,
        warnings=record.warnings,
        cleared_states=cleared,
    )


def _empty_view_lines(
    store,  # noqa: ANN001 - feast.FeatureStore
    windows: dict,
    names: list[str],
    written: list[MaterializedView],
    end: datetime,
    *,
    incremental: bool,
) -> list[str]:
    """One line per view that got no rows online, saying why."""
    from axiom_features.materialize.incremental import empty_reason, offline_span

    rows = {v.feature_view: v.rows for v in written}
    starts = {n: s for s, group in windows.items() for n in (group or names)}
    return [
        f"{n}: 0 rows written: "
        + empty_reason(offline_span(store, n), starts[n], end, incremental=incremental)
        for n in names
        if not rows.get(n)
    ]


def release_quarantine(
    root: Path, *, run_id: str | None = None, fixes: Path | None = None
) -> ReleaseResult:
    """Re-validate quarantined rows (with a file of fixes) and admit those that pass."""
    from axiom_features.quality.release import release_quarantine as release
    from axiom_features.quality.release_files import read_fixes

    params = {"run_id": run_id, "fixes": str(fixes) if fixes else None}
    with _log(root).track("quality-release", parameters=params) as record:
        record.inputs = [f"quarantine:{run_id or 'all'}"] + ([str(fixes)] if fixes else [])
        result = release(
            RepoPaths(root),
            release_id=record.run_id,
            run_id=run_id,
            fixes=read_fixes(fixes) if fixes else None,
        )
        record.outputs = ["lake:bars"] if result.released else []
        record.row_counts = {
            "considered": result.considered,
            "released": result.released,
            "still_held": result.still_held,
            "new_rows": result.new_rows,
        }
    return result


def _track_table_import(root: Path, command: str, lake: str, path: Path, source: str, run):  # noqa: ANN001, ANN202
    """Run ``run(record)`` under a run record that keeps its counts (in, accepted, rejected)."""
    with _log(root).track(command, parameters={"source": source}) as record:
        record.inputs = [str(path)]
        result = run(record)
        record.outputs = [f"lake:{lake}"]
        record.row_counts = {
            "rows_in": result.rows_in,
            "accepted": result.accepted,
            "rejected": result.rejected,
            "new_rows": result.new_rows,
        }
    return result


def ingest_news(root: Path, path: Path, *, source: str = "file"):  # noqa: ANN201
    """Import a headline CSV into the news lake; rejected rows are quarantined with reasons."""
    from axiom_features.ingest.news import import_news_csv

    return _track_table_import(
        root,
        "ingest-news",
        "news",
        path,
        source,
        lambda record: import_news_csv(path, RepoPaths(root), source=source, run_id=record.run_id),
    )


def ingest_fundamentals(root: Path, path: Path, *, source: str = "file"):  # noqa: ANN201
    """Import a fundamentals CSV into the fundamentals lake (keyed by filing time)."""
    from axiom_features.ingest.fundamentals import import_fundamentals_csv

    return _track_table_import(
        root,
        "ingest-fundamentals",
        "fundamentals",
        path,
        source,
        lambda record: import_fundamentals_csv(
            path, RepoPaths(root), source=source, run_id=record.run_id
        ),
    )


def consensus_ingest(
    root: Path,
    feeds: dict[str, Callable[[], pd.DataFrame]],
    *,
    tolerance: float = 0.01,
    quality: QualityOptions | None = None,
) -> ConsensusRun:
    """Load every provider (a failing one is skipped), merge them, gate the consensus bars."""
    from axiom_features.quality.consensus import ProviderScores, consensus_bars, load_feeds
    from axiom_features.quality.store import quality_dir

    frames, failed = load_feeds(feeds)
    merged = consensus_bars(frames, tolerance=tolerance, failed=failed)
    imported = ingest_frame(
        root, merged.bars, source="consensus", origin="<consensus>", quality=quality
    )
    repo = RepoPaths(root)
    path = quality_dir(repo) / "consensus" / f"{imported.run_id}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    merged.disagreements.to_parquet(path, index=False)
    scores = ProviderScores(repo).update(merged, imported.run_id)
    return ConsensusRun(merged=merged, imported=imported, scores=scores, disagreements_path=path)


@dataclass
class ConsensusRun:
    merged: ConsensusResult
    imported: ImportResult
    scores: dict[str, float]
    disagreements_path: Path


def check_online_consistency(
    root: Path,
    profile: str = "default",
    *,
    views: list[str] | None = None,
    sample: int = 100,
    seed: int = 0,
    as_of: datetime | None = None,
    rel_tol: float = 0.0,
):  # noqa: ANN201 - axiom_features.online.consistency.ConsistencyReport
    """Compare online values with the latest offline values of sampled entities."""
    from axiom_features.online.consistency import check_consistency

    params = {
        "profile": profile,
        "views": views,
        "sample": sample,
        "seed": seed,
        "as_of": as_of.isoformat() if as_of else None,
        "rel_tol": rel_tol,
    }
    store = open_store(root, profile)
    with _log(root).track("consistency", parameters=params) as record:
        report = check_consistency(
            store, views=views, sample=sample, seed=seed, as_of=as_of, rel_tol=rel_tol
        )
        record.inputs = [f"offline:{v.view}" for v in report.views]
        record.inputs += [f"online:{v.view}" for v in report.views]
        record.row_counts = {
            "entities_checked": sum(v.entities_checked for v in report.views),
            "values_checked": sum(v.values_checked for v in report.views),
            "mismatches": len(report.mismatches),
        }
    return report


def serve_online(
    root: Path,
    profile: str = "default",
    *,
    host: str = "127.0.0.1",
    port: int = 6566,
    workers: int = 1,
    max_body_bytes: int | None = None,
    max_entity_rows: int | None = None,
) -> None:
    """Serve ``/get-online-features`` (``feast serve``'s API) until interrupted; requests
    over ``max_body_bytes`` or ``max_entity_rows`` are refused (defaults: RequestLimits)."""
    from axiom_features.online.requests import RequestLimits
    from axiom_features.online.server import serve

    given = {"max_body_bytes": max_body_bytes, "max_entity_rows": max_entity_rows}
    limits = RequestLimits(**{k: v for k, v in given.items() if v is not None})
    serve(root, profile, host=host, port=port, workers=workers, limits=limits)


def load_offline(
    root: Path,
    profile: str = "production",
    *,
    views: list[str] | None = None,
    symbols: list[str] | None = None,
):
    """Copy the Parquet offline tables into the profile's PostgreSQL offline store, one table
    per view; a symbol's rows are replaced, so re-running loads nothing twice."""
    from axiom_features.offline.postgres_store import load_profile_tables

    params = {"profile": profile, "views": views, "symbols": symbols}
    from axiom_features.resilience.retry import retrying

    with _log(root).track("offline load", parameters=params) as record:
        store = open_store(root, profile)
        result = retrying(
            lambda: load_profile_tables(
                store, RepoPaths(root).offline, views=views, symbols=symbols
            ),
            what="offline load",
        )
        record.inputs = [f"offline:{v}" for v in result.rows_per_table]
        record.outputs = [f"postgres:{v}" for v in result.rows_per_table]
        record.row_counts = dict(result.rows_per_table)
    return result
