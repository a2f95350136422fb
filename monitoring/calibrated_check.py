"""One calibrated pass over many views: windows, checks, multiple testing, root causes.

The catalogue's metadata comes in as plain maps (``natures``: ``view -> {feature:
nature}``, ``inputs``: ``view:feature -> inputs``), so monitoring stays free of the
transforms package.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from monitoring.calibrated import (
    CalibratedConfig,
    Finding,
    ReferenceSummary,
    ViewCheck,
    ViewWindows,
    check_windows,
    chunk_days,
    control_false_discoveries,
)
from monitoring.drift import DriftReport, FeatureDrift
from monitoring.drift_check import DriftCheckConfig, select_windows
from monitoring.drift_store import DriftStore
from monitoring.profile_store import ProfileStore
from monitoring.reference_cache import ReferenceCache, reference_key
from monitoring.rollups import day_sketches
from monitoring.root_cause import Incident, group_findings


@dataclass
class CalibratedPass:
    """Reports per view (the drift time series), the findings kept, and their incidents."""

    reports: list[DriftReport]
    findings: list[Finding]
    incidents: list[Incident]


def load_windows(
    profiles: ProfileStore,
    view: str,
    check: DriftCheckConfig,
    current_end: str | None = None,
    cache: ReferenceCache | None = None,
) -> ViewWindows | None:
    """The view's current window and reference chunks, from stored day sketches; with a
    ``cache``, the reference's summary instead when it was kept from an earlier check."""
    selected = select_windows(profiles, view, check, current_end, previous_windows=check.chunks)
    if selected is None:
        return None
    current_days, reference_days = selected
    chunks = chunk_days(reference_days, len(current_days))
    current = day_sketches(profiles, view, current_days)
    if cache is not None:
        return ViewWindows(view, current, summary=cached_reference(profiles, view, chunks, cache))
    loaded = day_sketches(profiles, view, [d for c in chunks for d in c])
    by_day = {s.day: s for s in loaded}
    return ViewWindows(
        view,
        current,
        [[by_day[d] for d in chunk if d in by_day] for chunk in chunks],
    )


def cached_reference(
    profiles: ProfileStore, view: str, chunks: list[list[str]], cache: ReferenceCache
) -> ReferenceSummary:
    """The summary of the reference ``chunks``: kept from an earlier check, or built and kept."""
    key = reference_key(profiles, view, chunks)
    summary = cache.get(view, key)
    if summary is None:
        loaded = day_sketches(profiles, view, [d for c in chunks for d in c])
        by_day = {s.day: s for s in loaded}
        summary = ReferenceSummary.of([[by_day[d] for d in c if d in by_day] for c in chunks])
        cache.put(view, key, summary)
    return summary


def prepare_reference(
    profiles: ProfileStore,
    view: str,
    check: DriftCheckConfig,
    cache: ReferenceCache,
    min_chunks: int,
) -> bool:
    """Build and keep the reference summary the next check of ``view`` will read (days just
    stored move it), unless it has fewer than ``min_chunks`` chunks; whether one is kept."""
    selected = select_windows(profiles, view, check, previous_windows=check.chunks)
    if selected is None:
        return False
    current_days, reference_days = selected
    chunks = chunk_days(reference_days, len(current_days))
    if len(chunks) < min_chunks:
        return False
    cached_reference(profiles, view, chunks, cache)
    return True


def run_pass(
    windows: Sequence[ViewWindows],
    natures: Mapping[str, Mapping[str, str]],
    inputs: Mapping[str, Sequence[str]],
    config: CalibratedConfig | None = None,
    *,
    run_id: str | None = None,
    store: DriftStore | None = None,
) -> CalibratedPass:
    """Check every view, control false discoveries over all of them, group by cause."""
    config = config or CalibratedConfig()
    checks = [check_windows(w, dict(natures.get(w.view, {})), config) for w in windows]
    kept = control_false_discoveries(checks, config.fdr)
    incidents = group_findings(kept, inputs)
    reports = [_report(w, c, kept, run_id) for w, c in zip(windows, checks, strict=True)]
    if store is not None:
        for report in reports:
            store.save(report)
    return CalibratedPass(reports, kept, incidents)


def _report(
    windows: ViewWindows, check: ViewCheck, kept: list[Finding], run_id: str | None
) -> DriftReport:
    flagged: dict[str, list[Finding]] = {}
    for f in kept:
        if f.view == windows.view:
            flagged.setdefault(f.feature, []).append(f)
    features = [
        FeatureDrift(
            feature=name,
            kind="numeric",
            method="calibrated",
            scores={**scores, **{f"{f.check}_limit": f.limit for f in flagged.get(name, [])}},
            status="drift" if name in flagged else "no_drift",
            reason=", ".join(f.check for f in flagged.get(name, [])) or None,
        )
        for name, scores in check.scores.items()
    ]
    features += [
        FeatureDrift(name, "unknown", None, {}, "skipped", reason=why)
        for name, why in check.skipped.items()
    ]
    checked = [f for f in features if f.status != "skipped"]
    share = sum(f.drifted for f in checked) / len(checked) if checked else 0.0
    ref_days = windows.reference_days
    return DriftReport(
        feature_view=windows.view,
        checked_at=datetime.now(UTC).isoformat(),
        current=_meta([d.day for d in windows.current]),
        reference={**_meta(ref_days), "kind": "chunks", "chunks": windows.reference().chunks},
        features=features,
        dataset_drift_share=share,
        dataset_drift=False,
        run_id=run_id,
        meta={"method": "calibrated"},
    )


def _meta(days: list[str]) -> dict[str, object]:
    return {"start": days[0] if days else None, "end": days[-1] if days else None,
            "days": len(days)}  # fmt: skip
