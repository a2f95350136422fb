"""Day profiles of the offline tables a transform job wrote (kind ``offline_daily``).

Only days that are new, whose row count changed, or whose view version changed since the
last stored profile are profiled, so a daily run profiles one day per view; a first run (or
``full=True``) profiles the whole history once. New days move each view's drift reference,
whose summary is built here, so the check after a materialization reads only its current
days. Rows are read a few weeks at a time, so
memory stays a fraction of the table's.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from axiom_features.paths import RepoPaths
from axiom_features.storage.repo import storage_of
from monitoring.daily_profiles import day_keys, profile_days
from monitoring.profile_store import ProfileStore

CHUNK_DAYS = 60
"""Calendar days of rows read and profiled at once."""
LOOK_BACK_DAYS = 7
"""Calendar days read before a span, so its first day's repeats and jumps have a previous bar."""


def profile_offline_days(
    repo: RepoPaths,
    views: dict[str, str],
    *,
    run_id: str,
    full: bool = False,
    refresh: frozenset[str] = frozenset(),
) -> dict[str, int]:
    """Profile new days of each view (``{name: version}``), and the days in ``refresh``
    (ISO dates whose values were rewritten); returns days profiled per view."""
    store = ProfileStore(repo.profiles)
    done: dict[str, int] = {}
    storage = storage_of(repo)
    for view, version in views.items():
        folder = repo.offline_view(view)
        if not storage.is_dir(folder):
            continue
        dataset = storage.dataset(folder)
        stamps = dataset.to_table(columns=["event_timestamp"]).column(0).to_pandas()
        rows = pd.Series(day_keys(stamps)).value_counts()
        stored = {} if full else store.day_index(view)
        todo = sorted(
            day
            for day, n in rows.items()
            if day not in stored
            or day in refresh
            or stored[day][1] != n
            or stored[day][0].feature_view_version != version
        )
        sketches = {}
        wanted = set(todo)
        spans = _chunks(todo)
        # Each file holds one symbol's whole history, so a filtered scan opens every file:
        # with many spans (a backfill) one pass over the table is far cheaper than one each.
        whole = dataset.to_table(columns=_value_columns(dataset)) if len(spans) > 1 else None
        for first, last in spans:
            start = pd.Timestamp(first, tz="UTC") - pd.Timedelta(days=LOOK_BACK_DAYS)
            end = pd.Timestamp(last, tz="UTC") + pd.Timedelta(days=1)
            frame = _rows_between(dataset, whole, start, end).to_pandas()
            sketches.update({d: s for d, s in profile_days(frame).items() if d in wanted})
        if sketches:
            store.save_days(
                sketches, run_id=run_id, feature_view=view, feature_view_version=version
            )
            store.prune_days(view)
        done[view] = len(sketches)
    from axiom_features.ops.monitor import prepare_references  # health, alerts: not for profiling

    prepare_references(repo.root, [view for view, n in done.items() if n])
    return done


def _value_columns(dataset: ds.Dataset) -> list[str]:
    return [c for c in dataset.schema.names if c != "created_timestamp"]


def _rows_between(
    dataset: ds.Dataset, whole: pa.Table | None, start: pd.Timestamp, end: pd.Timestamp
) -> pa.Table:
    """Rows with ``start <= event_timestamp < end``, from ``whole`` when it was read."""
    moment = dataset.schema.field("event_timestamp").type
    condition = (pc.field("event_timestamp") >= pc.scalar(start).cast(moment)) & (
        pc.field("event_timestamp") < pc.scalar(end).cast(moment)
    )
    if whole is None:
        return dataset.to_table(columns=_value_columns(dataset), filter=condition)
    return ds.dataset(whole).to_table(filter=condition)


def _chunks(days: list[str]) -> list[tuple[str, str]]:
    """``(first, last)`` spans of at most ``CHUNK_DAYS`` calendar days covering ``days``."""
    spans: list[tuple[str, str]] = []
    for day in days:
        if spans and date.fromisoformat(day) - date.fromisoformat(spans[-1][0]) < timedelta(
            days=CHUNK_DAYS
        ):
            spans[-1] = (spans[-1][0], day)
        else:
            spans.append((day, day))
    return spans
