"""Profile a frame with whylogs' default schema: the profile stock ``why.log`` makes, faster.

``profile_frame`` builds each column's whylogs ``ColumnProfile`` from a vectorized
``PreprocessedColumn`` (see ``monitoring.column_preprocess``), so counts, types, min/max,
mean/stddev and cardinality equal stock ``why.log(df)``; quantiles agree within the KLL
sketch's rank error (the sketch is randomized, so two stock runs differ by as much).
With ``workers > 1`` parts are profiled in separate processes: column groups when there
are at least as many columns as workers (the result is then the single-process one), row
ranges otherwise (merged, as whylogs merges any two profiles).

``profile_summary`` turns a profile into a plain DataFrame for display and checks.
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from functools import reduce
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from monitoring.column_preprocess import preprocess
from monitoring.whylogs_compat import (
    ColumnProfile,
    ColumnProfileView,
    DatasetSchema,
    ProfileView,
)

Frame = pd.DataFrame | pa.Table
_Task = tuple[tuple[str, ...], int, int]  # column names, first row, end row

SUMMARY_QUANTILES = ("q_01", "q_05", "q_10", "q_25", "median", "q_75", "q_90", "q_95", "q_99")
SUMMARY_COLUMNS = (
    "count", "null", "nan", "inf", "min", "max", "mean", "stddev", *SUMMARY_QUANTILES,
    "cardinality",
)  # fmt: skip


def profile_frame(
    data: Frame,
    *,
    columns: Sequence[str] | None = None,
    workers: int = 1,
    dataset_timestamp: datetime | None = None,
) -> ProfileView:
    """Profile ``data`` (a pandas DataFrame, or an Arrow table read as ``to_pandas()`` would).

    ``columns`` limits the profile to those columns (default: all, in frame order);
    ``workers`` > 1 profiles parts in that many processes; ``dataset_timestamp`` (tz-aware)
    is the time the data stands for, default now.
    """
    names = _column_names(data, columns)
    n_rows = data.num_rows if isinstance(data, pa.Table) else len(data)
    tasks = _plan(names, n_rows, workers)
    if len(tasks) == 1:
        parts = [_profile_columns(data, *tasks[0])]
    else:
        parts = _profile_in_processes(data, tasks, workers)
    now = datetime.now(UTC)
    merged = {name: _merge([p[name] for p in parts if name in p]) for name in names}
    return ProfileView(
        columns=merged,
        dataset_timestamp=dataset_timestamp or now,
        creation_timestamp=now,
    )


def profile_summary(view: ProfileView) -> pd.DataFrame:
    """One row per column: count, null, nan, inf, min, max, mean, stddev, quantiles, cardinality.

    Missing figures (no distribution for strings and timestamps, no values) are NaN.
    """
    rows: dict[str, dict[str, Any]] = {}
    for name, column in view.get_columns().items():
        row: dict[str, Any] = dict.fromkeys(SUMMARY_COLUMNS, np.nan)
        counts = column.get_metric("counts")
        if counts is not None:
            c = counts.to_summary_dict()
            row.update(count=c["n"], null=c["null"], nan=c["nan"], inf=c["inf"])
        distribution = column.get_metric("distribution")
        if distribution is not None and distribution.n > 0:
            d = distribution.to_summary_dict()
            row.update({k: d[k] for k in ("min", "max", "mean", "stddev", *SUMMARY_QUANTILES)})
        cardinality = column.get_metric("cardinality")
        if cardinality is not None:
            row["cardinality"] = cardinality.to_summary_dict()["est"]
        rows[name] = {k: (np.nan if v is None else float(v)) for k, v in row.items()}
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=list(SUMMARY_COLUMNS))
    frame.index.name = "column"
    return frame.astype({k: "Int64" for k in ("count", "null", "nan", "inf")})


def _column_names(data: Frame, columns: Sequence[str] | None) -> tuple[str, ...]:
    available = list(data.column_names if isinstance(data, pa.Table) else data.columns)
    if len(set(available)) != len(available):
        raise ValueError("cannot profile a frame with duplicate column names")
    if columns is None:
        return tuple(available)
    missing = [c for c in columns if c not in set(available)]
    if missing:
        raise KeyError(f"columns not in the frame: {missing}")
    return tuple(columns)


def _plan(names: tuple[str, ...], n_rows: int, workers: int) -> list[_Task]:
    """Column groups when columns outnumber workers (exact), else row ranges (merged)."""
    if workers <= 1 or not names or n_rows < 2:
        return [(names, 0, n_rows)]
    if len(names) >= workers:
        n_groups = min(len(names), 4 * workers)  # several per worker evens out their load
        return [(names[i::n_groups], 0, n_rows) for i in range(n_groups)]
    bounds = np.linspace(0, n_rows, min(workers, n_rows) + 1).astype(int)
    return [(names, int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def _profile_columns(
    data: Frame, names: tuple[str, ...], start: int, stop: int
) -> dict[str, ColumnProfileView]:
    schema = DatasetSchema()
    views = {}
    for name in names:
        series = _column(data, name, start, stop)
        schema.resolve(pandas=pd.DataFrame({name: series.iloc[:0]}))
        profile = ColumnProfile(name=name, schema=schema.get(name), cache_size=schema.cache_size)
        with np.errstate(invalid="ignore"):  # mean/variance of ±inf is NaN, as in stock
            profile._process_extracted_column(preprocess(series))
        views[name] = profile.view()
    return views


def _column(data: Frame, name: str, start: int, stop: int) -> pd.Series:
    if isinstance(data, pa.Table):
        return data.column(name).slice(start, stop - start).to_pandas().rename(name)
    series = data[name]
    return series if (start, stop) == (0, len(series)) else series.iloc[start:stop]


def _merge(views: list[ColumnProfileView]) -> ColumnProfileView:
    return reduce(lambda a, b: a.merge(b), views)


_held: Frame | None = None  # the frame a worker process profiles parts of


def _hold(data: Frame) -> None:
    global _held
    _held = data


def _profile_task(task: _Task) -> bytes:
    assert _held is not None
    views = _profile_columns(_held, *task)
    now = datetime.now(UTC)
    return ProfileView(columns=views, dataset_timestamp=now, creation_timestamp=now).serialize()


def _profile_in_processes(
    data: Frame, tasks: list[_Task], workers: int
) -> list[dict[str, ColumnProfileView]]:
    """Run tasks in worker processes; with fork the frame is shared, not copied."""
    method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
    with ProcessPoolExecutor(
        max_workers=min(workers, len(tasks)),
        mp_context=mp.get_context(method),
        initializer=_hold,
        initargs=(data,),
    ) as pool:
        blobs = list(pool.map(_profile_task, tasks))
    return [ProfileView.deserialize(blob).get_columns() for blob in blobs]
