"""Profiles of a table per calendar day (UTC), lean enough to keep for the whole history.

A day's sketch holds, per numeric column, the counts whylogs keeps (n, null, nan, inf), the
non-missing values' count, mean and M2, and a KLL sketch (``k=128``, rank error about 2%)
in the whylogs sketching library's own format. That is what drift and the dashboard's
distribution plots need; it is written and read without whylogs' per-metric protobuf
objects, which cost about 40 µs per column and day to read back; each day is
zlib-compressed. Day sketches merge exactly (counts add, moments combine, KLL sketches
merge), and :meth:`DaySketch.to_profile` turns any merge into a whylogs profile with
``counts`` and ``distribution`` metrics.
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from monitoring.whylogs_compat import (
    ColumnCountsMetric,
    ColumnProfileView,
    DistributionMetric,
    FractionalComponent,
    IntegralComponent,
    KllComponent,
    ProfileView,
    kll_doubles_sketch,
)

DAY_KLL_K = 128
_HEADER = struct.Struct("<I")


@dataclass
class ColumnSketch:
    n: int
    null: int
    nan: int
    inf: int
    count: int
    """Values in the distribution (everything but NaN)."""
    mean: float
    m2: float
    kll: object

    @classmethod
    def of(cls, values: np.ndarray) -> ColumnSketch:
        nan = np.isnan(values)
        kept = values[~nan]
        finite = kept[np.isfinite(kept)]
        sketch = kll_doubles_sketch(DAY_KLL_K)
        if len(kept):
            sketch.update(kept)
        inf = len(kept) - len(finite)
        mean = float(kept.mean()) if inf == 0 and len(kept) else (np.nan if inf else 0.0)
        m2 = (
            float(((kept - mean) ** 2).sum())
            if inf == 0 and len(kept)
            else (np.nan if inf else 0.0)
        )
        n_nan = int(nan.sum())
        return cls(len(values), n_nan, n_nan, inf, len(kept), mean, m2, sketch)

    def merge(self, other: ColumnSketch) -> ColumnSketch:
        kll = kll_doubles_sketch(DAY_KLL_K)
        kll.merge(self.kll)
        kll.merge(other.kll)
        count = self.count + other.count
        if count == 0:
            mean, m2 = 0.0, 0.0
        else:
            delta = other.mean - self.mean
            mean = self.mean + delta * other.count / count
            m2 = self.m2 + other.m2 + delta**2 * self.count * other.count / count
        return ColumnSketch(self.n + other.n, self.null + other.null, self.nan + other.nan,
                            self.inf + other.inf, count, mean, m2, kll)  # fmt: skip

    def to_view(self) -> ColumnProfileView:
        counts = ColumnCountsMetric(
            n=IntegralComponent(self.n),
            null=IntegralComponent(self.null),
            nan=IntegralComponent(self.nan),
            inf=IntegralComponent(self.inf),
            true=IntegralComponent(0),
        )
        distribution = DistributionMetric(
            kll=KllComponent(self.kll),
            mean=FractionalComponent(self.mean),
            m2=FractionalComponent(self.m2),
        )
        return ColumnProfileView(metrics={"counts": counts, "distribution": distribution})


@dataclass
class DaySketch:
    """Every numeric column of one day (or of a merge of days)."""

    day: str
    columns: dict[str, ColumnSketch]

    def serialize(self) -> bytes:
        blobs = [c.kll.serialize() for c in self.columns.values()]
        header = {
            "day": self.day,
            "columns": {
                name: [c.n, c.null, c.nan, c.inf, c.count, c.mean, c.m2, len(blob)]
                for (name, c), blob in zip(self.columns.items(), blobs, strict=True)
            },
        }
        head = json.dumps(header).encode()
        return zlib.compress(_HEADER.pack(len(head)) + head + b"".join(blobs), 1)

    @classmethod
    def deserialize(cls, data: bytes) -> DaySketch:
        data = zlib.decompress(data)
        (size,) = _HEADER.unpack_from(data)
        header = json.loads(data[_HEADER.size : _HEADER.size + size])
        offset = _HEADER.size + size
        columns = {}
        for name, (n, null, nan, inf, count, mean, m2, length) in header["columns"].items():
            kll = kll_doubles_sketch.deserialize(data[offset : offset + length])
            offset += length
            columns[name] = ColumnSketch(n, null, nan, inf, count, mean, m2, kll)
        return cls(header["day"], columns)

    def to_profile(self) -> ProfileView:
        stamp = datetime.fromisoformat(self.day[:10]).replace(tzinfo=UTC)
        views = {name: c.to_view() for name, c in self.columns.items()}
        return ProfileView(columns=views, dataset_timestamp=stamp, creation_timestamp=stamp)


def merge_days(sketches: Iterable[DaySketch]) -> DaySketch:
    """One sketch of all the days' rows (columns missing from a day are skipped for it)."""
    merged: dict[str, ColumnSketch] = {}
    first = None
    for sketch in sketches:
        first = first or sketch.day
        for name, column in sketch.columns.items():
            merged[name] = merged[name].merge(column) if name in merged else column
    if first is None:
        raise ValueError("nothing to merge")
    return DaySketch(first, merged)


def day_keys(stamps: pd.Series) -> np.ndarray:
    """``YYYY-MM-DD`` (UTC) of each timestamp."""
    return pd.to_datetime(stamps, utc=True).dt.strftime("%Y-%m-%d").to_numpy()


def profile_days(
    frame: pd.DataFrame,
    *,
    time_column: str = "event_timestamp",
    columns: Sequence[str] | None = None,
) -> dict[str, tuple[DaySketch, int]]:
    """``{day: (sketch, rows)}`` for every UTC day in ``frame[time_column]``.

    ``columns`` defaults to every float column.
    """
    names = (
        list(columns)
        if columns is not None
        else [c for c in frame.columns if c != time_column and frame[c].dtype.kind == "f"]
    )
    keys = day_keys(frame[time_column])
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    days, starts = np.unique(keys, return_index=True)
    bounds = [*starts.tolist(), len(keys)]
    values = {name: frame[name].to_numpy(dtype=np.float64)[order] for name in names}
    result: dict[str, tuple[DaySketch, int]] = {}
    with np.errstate(invalid="ignore"):
        for i, day in enumerate(days):
            a, b = bounds[i], bounds[i + 1]
            sketch = DaySketch(str(day), {n: ColumnSketch.of(v[a:b]) for n, v in values.items()})
            result[str(day)] = (sketch, b - a)
    return result
