"""Profiles of a table per calendar day (UTC), lean enough to keep for the whole history.

A day's profile holds, for each numeric column, whylogs' counts (n, null, nan, inf) and
distribution (KLL sketch, ``k=256``: rank error about 1%) — what drift and the dashboard's
distribution plots need, at about a tenth of the default schema's size. Day profiles merge
like any whylogs profiles, so weeks, months or any window are their merge.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from monitoring.column_preprocess import preprocess
from monitoring.whylogs_compat import (
    ColumnCountsMetric,
    ColumnProfileView,
    DistributionMetric,
    MetricConfig,
    ProfileView,
)

DAY_KLL_K = 256
_CONFIG = MetricConfig(kll_k=DAY_KLL_K, large_kll_k=False)


def day_keys(stamps: pd.Series) -> np.ndarray:
    """``YYYY-MM-DD`` (UTC) of each timestamp."""
    return pd.to_datetime(stamps, utc=True).dt.strftime("%Y-%m-%d").to_numpy()


def profile_days(
    frame: pd.DataFrame,
    *,
    time_column: str = "event_timestamp",
    columns: Sequence[str] | None = None,
) -> dict[str, tuple[ProfileView, int]]:
    """``{day: (profile, rows)}`` for every UTC day present in ``frame[time_column]``.

    ``columns`` defaults to every float column.
    """
    names = list(columns) if columns is not None else [
        c for c in frame.columns if c != time_column and frame[c].dtype.kind == "f"
    ]
    keys = day_keys(frame[time_column])
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    days, starts = np.unique(keys, return_index=True)
    bounds = [*starts.tolist(), len(keys)]
    sorted_columns = {name: frame[name].to_numpy()[order] for name in names}
    profiles: dict[str, tuple[ProfileView, int]] = {}
    with np.errstate(invalid="ignore"):
        for i, day in enumerate(days):
            a, b = bounds[i], bounds[i + 1]
            stamp = datetime.fromisoformat(str(day)).replace(tzinfo=UTC)
            views = {
                name: _column_view(pd.Series(values[a:b], name=name))
                for name, values in sorted_columns.items()
            }
            profiles[str(day)] = (
                ProfileView(columns=views, dataset_timestamp=stamp, creation_timestamp=stamp),
                b - a,
            )
    return profiles


def _column_view(series: pd.Series) -> ColumnProfileView:
    column = preprocess(series)
    counts = ColumnCountsMetric.zero(_CONFIG)
    counts.columnar_update(column)
    distribution = DistributionMetric.zero(_CONFIG)
    distribution.columnar_update(column)
    return ColumnProfileView(metrics={"counts": counts, "distribution": distribution})
