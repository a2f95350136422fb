"""Day profiles merged into weeks, or into any window of history."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Literal

from monitoring.daily_profiles import DaySketch, merge_days
from monitoring.profile_store import ProfileStore
from monitoring.whylogs_compat import ProfileView

Period = Literal["day", "week"]


@dataclass
class WindowProfile:
    """The merged profile of a view's days in ``[first_day, last_day]``."""

    feature_view: str
    profile: ProfileView
    first_day: str
    last_day: str
    days: int
    rows: int

    def meta(self) -> dict[str, object]:
        return {"start": self.first_day, "end": self.last_day, "days": self.days, "rows": self.rows}


def period_label(day: str, period: Period) -> str:
    """``YYYY-MM-DD`` for days, ``YYYY-Www`` (ISO week) for weeks."""
    if period == "day":
        return day
    year, week, _ = date.fromisoformat(day).isocalendar()
    return f"{year}-W{week:02d}"


def stored_days(store: ProfileStore, feature_view: str) -> list[str]:
    """Every day with a stored profile of ``feature_view``, sorted."""
    return sorted(store.day_index(feature_view))


def day_sketches(store: ProfileStore, feature_view: str, days: list[str]) -> list[DaySketch]:
    """The newest stored sketch of each of ``days`` (days without one are left out), in order."""
    index = store.day_index(feature_view)
    by_bundle: dict[str, list[str]] = defaultdict(list)
    records = {}
    for day in days:
        if day in index:
            record, _ = index[day]
            by_bundle[record.path].append(day)
            records[record.path] = record
    loaded = {
        day: sketch
        for path, wanted in by_bundle.items()
        for day, sketch in store.load_days(records[path], wanted).items()
    }
    return [loaded[d] for d in days if d in loaded]


def window_profile(
    store: ProfileStore, feature_view: str, first_day: str, last_day: str
) -> WindowProfile | None:
    """The merge of the newest profile of each stored day in the window; None if no day."""
    index = store.day_index(feature_view)
    wanted = sorted(d for d in index if first_day <= d <= last_day)
    if not wanted:
        return None
    by_bundle: dict[str, list[str]] = defaultdict(list)
    records = {}
    for day in wanted:
        record, _ = index[day]
        by_bundle[record.path].append(day)
        records[record.path] = record
    sketches = [
        sketch
        for path, days in by_bundle.items()
        for sketch in store.load_days(records[path], days).values()
    ]
    return WindowProfile(
        feature_view=feature_view,
        profile=merge_days(sketches).to_profile(),
        first_day=wanted[0],
        last_day=wanted[-1],
        days=len(wanted),
        rows=sum(index[d][1] for d in wanted),
    )


def rollups(
    store: ProfileStore,
    feature_view: str,
    period: Period,
    first_day: str = "0000-00-00",
    last_day: str = "9999-99-99",
) -> dict[str, WindowProfile]:
    """``{label: merged profile}`` per day or ISO week of the window."""
    days = [d for d in stored_days(store, feature_view) if first_day <= d <= last_day]
    groups: dict[str, list[str]] = defaultdict(list)
    for day in days:
        groups[period_label(day, period)].append(day)
    result = {}
    for label, members in groups.items():
        window = window_profile(store, feature_view, members[0], members[-1])
        if window is not None:
            result[label] = window
    return result
