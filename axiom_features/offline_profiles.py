"""Day profiles of the offline tables a transform job wrote (kind ``offline_daily``).

Only days that are new, whose row count changed, or whose view version changed since the
last stored profile are profiled, so a daily run profiles one day per view; a first run (or
``full=True``) profiles the whole history once.
"""

from __future__ import annotations

import pandas as pd
import pyarrow.dataset as ds

from axiom_features.paths import RepoPaths
from monitoring.daily_profiles import day_keys, profile_days
from monitoring.profile_store import ProfileStore


def profile_offline_days(
    repo: RepoPaths,
    views: dict[str, str],
    *,
    run_id: str,
    full: bool = False,
) -> dict[str, int]:
    """Profile new days of each view (``{name: version}``); returns days profiled per view."""
    store = ProfileStore(repo.profiles)
    done: dict[str, int] = {}
    for view, version in views.items():
        folder = repo.offline_view(view)
        if not folder.is_dir():
            continue
        frame = ds.dataset(folder, format="parquet").to_table().to_pandas()
        if frame.empty:
            done[view] = 0
            continue
        keys = day_keys(frame["event_timestamp"])
        rows = pd.Series(keys).value_counts()
        stored = {} if full else store.day_index(view)
        todo = {
            day
            for day, n in rows.items()
            if day not in stored
            or stored[day][1] != n
            or stored[day][0].feature_view_version != version
        }
        if todo:
            subset = frame[pd.Series(keys).isin(todo).to_numpy()].drop(columns=["symbol"])
            store.save_days(
                profile_days(subset.drop(columns=["created_timestamp"])),
                run_id=run_id,
                feature_view=view,
                feature_view_version=version,
            )
            store.prune_days(view)
        done[view] = len(todo)
    return done
