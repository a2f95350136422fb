"""Day profiles of the offline tables a transform job wrote (kind ``offline_daily``).

Only days that are new, whose row count changed, or whose view version changed since the
last stored profile are profiled, so a daily run profiles one day per view; a first run (or
``full=True``) profiles the whole history once. New days move each view's drift reference,
whose summary is built here, so the check after a materialization reads only its current
days. Rows are read a few weeks at a time, so memory stays a fraction of the table's;
a long history is read once, sorted by time and cut into spans, and its views are profiled
by worker processes.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from datetime import date, timedelta

import numpy as np
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


PARALLEL_DAYS = 400
"""Days to profile (over all views) from which views are profiled in worker processes."""
WORKERS = 2


def profile_offline_days(
    repo: RepoPaths,
    views: dict[str, str],
    *,
    run_id: str,
    full: bool = False,
    refresh: frozenset[str] = frozenset(),
) -> dict[str, int]:
    """Profile new days of each view (``{name: version}``), and the days in ``refresh``
    (ISO dates whose values were rewritten); returns days profiled per view.

    Views are independent, so a long history (a backfill, a first run) is profiled by
    worker processes, one view at a time each."""
    store = ProfileStore(repo.profiles)
    storage = storage_of(repo)
    work: dict[str, tuple[str, list[str]]] = {}
    for view, version in views.items():
        folder = repo.offline_view(view)
        if not storage.is_dir(folder):
            continue
        dataset = storage.dataset(folder)
        stamps = dataset.to_table(columns=["event_timestamp"]).column(0)
        keys, counts = np.unique(day_keys(stamps.to_numpy()), return_counts=True)
        stored = {} if full else store.day_index(view)
        work[view] = (version, [
            str(day)
            for day, n in zip(keys, counts, strict=True)
            if day not in stored
            or day in refresh
            or stored[day][1] != n
            or stored[day][0].feature_view_version != version
        ])  # fmt: skip
    busy = {view: job for view, job in work.items() if job[1]}
    done = dict.fromkeys(work, 0)
    if sum(len(todo) for _, todo in busy.values()) >= PARALLEL_DAYS and len(busy) > 1:
        done.update(_profile_in_workers(repo, busy, run_id))
    else:
        for view, (version, todo) in busy.items():
            done[view] = profile_view_days(repo, view, version, todo, run_id)
    from axiom_features.ops.monitor import prepare_references  # health, alerts: not for profiling

    prepare_references(repo.root, [view for view, n in done.items() if n])
    return done


def profile_view_days(
    repo: RepoPaths, view: str, version: str, todo: list[str], run_id: str
) -> int:
    """Profile ``todo`` (ISO days) of one view and store them as one bundle; returns how many."""
    dataset = storage_of(repo).dataset(repo.offline_view(view))
    wanted = set(todo)
    spans = _chunks(todo)
    # Each file holds one symbol's whole history, so a filtered scan opens every file:
    # with many spans (a backfill) one pass over the table, sorted by time once and cut
    # into spans, is far cheaper than one scan each.
    whole = (
        _sorted_by_time(dataset.to_table(columns=_value_columns(dataset)))
        if len(spans) > 1
        else None
    )
    sketches = {}
    for first, last in spans:
        start = pd.Timestamp(first, tz="UTC") - pd.Timedelta(days=LOOK_BACK_DAYS)
        end = pd.Timestamp(last, tz="UTC") + pd.Timedelta(days=1)
        frame = _rows_between(dataset, whole, start, end).to_pandas()
        sketches.update({d: s for d, s in profile_days(frame).items() if d in wanted})
    if sketches:
        store = ProfileStore(repo.profiles)
        store.save_days(sketches, run_id=run_id, feature_view=view, feature_view_version=version)
        store.prune_days(view)
    return len(sketches)


def _profile_in_workers(
    repo: RepoPaths, work: dict[str, tuple[str, list[str]]], run_id: str
) -> dict[str, int]:
    """Each view's days profiled in a worker process, the longest first."""
    from axiom_features.resilience.liveness import die_with_parent
    from axiom_features.storage.repo import with_storage

    handed = with_storage(repo)
    order = sorted(work, key=lambda v: -len(work[v][1]))
    context = multiprocessing.get_context("spawn")
    workers = max(1, min(WORKERS, os.cpu_count() or 1, len(order)))
    with ProcessPoolExecutor(workers, mp_context=context, initializer=die_with_parent) as pool:
        futures = {
            view: pool.submit(profile_view_days, handed, view, work[view][0], work[view][1], run_id)
            for view in order
        }
        return {view: future.result() for view, future in futures.items()}


def _value_columns(dataset: ds.Dataset) -> list[str]:
    return [c for c in dataset.schema.names if c != "created_timestamp"]


def _sorted_by_time(table: pa.Table) -> pa.Table:
    return table.take(pc.sort_indices(table, [("event_timestamp", "ascending")]))


def _rows_between(
    dataset: ds.Dataset, whole: pa.Table | None, start: pd.Timestamp, end: pd.Timestamp
) -> pa.Table:
    """Rows with ``start <= event_timestamp < end``, cut from ``whole`` (sorted by time)
    when it was read."""
    moment = dataset.schema.field("event_timestamp").type
    if whole is None:
        condition = (pc.field("event_timestamp") >= pc.scalar(start).cast(moment)) & (
            pc.field("event_timestamp") < pc.scalar(end).cast(moment)
        )
        return dataset.to_table(columns=_value_columns(dataset), filter=condition)
    low, high = pa.scalar(start).cast(moment), pa.scalar(end).cast(moment)
    times = whole.column("event_timestamp")
    first = pc.sum(pc.less(times, low)).as_py() or 0
    stop = pc.sum(pc.less(times, high)).as_py() or 0
    return whole.slice(first, stop - first)


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
