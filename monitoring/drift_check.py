"""Check a view's recent days against a reference window, from stored day profiles."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from monitoring.drift import DriftConfig, DriftReport, detect_drift
from monitoring.drift_store import DriftStore
from monitoring.profile_store import ProfileStore
from monitoring.rollups import stored_days, window_profile


class ReferenceConfig(BaseModel):
    """What the current window is compared with."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["previous", "baseline"] = "previous"
    """``previous``: the stored days just before the current window (as many, or
    ``previous_days``); ``baseline``: the pinned window ``start``..``end``."""

    start: date | None = None
    """First day of the pinned baseline."""

    end: date | None = None
    """Last day of the pinned baseline."""

    previous_days: int | None = Field(default=None, ge=1)
    """Length of the previous period in stored days (default: the current window's)."""


class DriftCheckConfig(BaseModel):
    """Which days are checked and against what."""

    model_config = ConfigDict(extra="forbid")

    current_days: int = Field(default=20, ge=1)
    """The current window: the latest this many stored days."""

    reference: ReferenceConfig = Field(default_factory=ReferenceConfig)
    """The reference window."""

    method: Literal["calibrated", "fixed_psi"] = "calibrated"
    """``calibrated``: each feature against its own variation between reference chunks,
    by its nature, with root causes (:mod:`monitoring.calibrated`); ``fixed_psi``: one
    statistic and cut-off for every feature (:mod:`monitoring.drift`)."""

    chunks: int = Field(default=12, ge=2)
    """Calibrated: a ``previous`` reference spans this many current windows."""


def check_view(
    profiles: ProfileStore,
    view: str,
    *,
    check: DriftCheckConfig | None = None,
    drift: DriftConfig | None = None,
    current_end: str | None = None,
    run_id: str | None = None,
    store: DriftStore | None = None,
) -> DriftReport | None:
    """Drift of ``view``'s latest days (up to ``current_end``); None without both windows."""
    check = check or DriftCheckConfig()
    windows = select_windows(profiles, view, check, current_end)
    if windows is None:
        return None
    current_days, reference_days = windows
    reference = check.reference
    ref_first, ref_last = reference_days[0], reference_days[-1]
    current = window_profile(profiles, view, current_days[0], current_days[-1])
    ref = window_profile(profiles, view, ref_first, ref_last)
    if current is None or ref is None:
        return None
    report = detect_drift(
        current.profile,
        ref.profile,
        feature_view=view,
        config=drift,
        current_meta=current.meta(),
        reference_meta={**ref.meta(), "kind": reference.kind},
        run_id=run_id,
    )
    if store is not None:
        store.save(report)
    return report


def select_windows(
    profiles: ProfileStore,
    view: str,
    check: DriftCheckConfig,
    current_end: str | None = None,
    *,
    previous_windows: int = 1,
) -> tuple[list[str], list[str]] | None:
    """(current days, reference days) of ``view``; None without both.

    A ``previous`` reference without ``previous_days`` spans ``previous_windows`` current
    windows (the calibrated method cuts it into that many chunks).
    """
    days = [d for d in stored_days(profiles, view) if current_end is None or d <= current_end]
    if not days:
        return None
    current_days = days[-check.current_days :]
    reference = check.reference
    if reference.kind == "baseline":
        if reference.start is None or reference.end is None:
            raise ValueError("reference.kind baseline needs reference.start and reference.end")
        first, last = reference.start.isoformat(), reference.end.isoformat()
        before = [d for d in stored_days(profiles, view) if first <= d <= last]
        if not before:
            return (current_days, [first, last]) if previous_windows == 1 else None
    else:
        before = [d for d in days if d < current_days[0]]
        before = before[-(reference.previous_days or len(current_days) * previous_windows) :]
        if not before:
            return None
    return current_days, before


def day_after(day: str) -> str:
    return (date.fromisoformat(day) + timedelta(days=1)).isoformat()
