"""Profiles of a table per calendar day (UTC), lean enough to keep for the whole history.

A day's sketch holds, per numeric column, the counts whylogs keeps (n, null, nan, inf), the
non-missing values' count, mean and M2, and a KLL sketch (``k=128``, rank error about 2%)
in the whylogs sketching library's own format. That is what drift and the dashboard's
distribution plots need; it is written and read without whylogs' per-metric protobuf
objects, which cost about 40 µs per column and day to read back; each day is
zlib-compressed. Day sketches merge exactly (counts add, moments combine, KLL sketches
merge), and :meth:`DaySketch.to_profile` turns any merge into a whylogs profile with
``counts`` and ``distribution`` metrics.

When the frame has a ``symbol`` column, each column also counts, per day, its *repeats*
(a value equal to the same symbol's previous value: constant runs, a stale feed) and its
*jumps* (a step of more than ``JUMP`` of the previous value's size: an unadjusted split, a
unit change). Rows whose previous value lies outside the profiled frame are not counted.
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
TIME_OF_DAY = "event_time_of_day"
"""A column every day profile carries: the rows' time of day in hours UTC (a feed's clock)."""
JUMP = 0.4
"""A step counts as a jump when |x - previous| > JUMP * |previous|."""
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
    repeats: int = 0
    """Values equal to the same symbol's previous value."""
    jumps: int = 0
    """Values more than ``JUMP`` away (relatively) from the same symbol's previous value."""

    @classmethod
    def of(
        cls, values: np.ndarray, repeats: np.ndarray | None = None, jumps: np.ndarray | None = None
    ) -> ColumnSketch:
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
        return cls(len(values), n_nan, n_nan, inf, len(kept), mean, m2, sketch,
                   0 if repeats is None else int(repeats.sum()),
                   0 if jumps is None else int(jumps.sum()))  # fmt: skip

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
                            self.inf + other.inf, count, mean, m2, kll,
                            self.repeats + other.repeats, self.jumps + other.jumps)  # fmt: skip

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
                name: [
                    c.n,
                    c.null,
                    c.nan,
                    c.inf,
                    c.count,
                    c.mean,
                    c.m2,
                    len(blob),
                    c.repeats,
                    c.jumps,
                ]
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
        for name, fields in header["columns"].items():
            n, null, nan, inf, count, mean, m2, length, *steps = fields
            kll = kll_doubles_sketch.deserialize(data[offset : offset + length])
            offset += length
            columns[name] = ColumnSketch(n, null, nan, inf, count, mean, m2, kll, *steps)
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


NANOS_PER_DAY = 86_400_000_000_000


def _nanoseconds(stamps: pd.Series | pd.Index | np.ndarray) -> np.ndarray:
    """UTC nanoseconds since the epoch of each timestamp (naive ones taken as UTC)."""
    dtype = getattr(stamps, "dtype", None)
    if isinstance(dtype, pd.DatetimeTZDtype):
        index = pd.DatetimeIndex(stamps).tz_convert("UTC")
    elif dtype is not None and dtype.kind == "M":
        index = pd.DatetimeIndex(stamps)
    else:
        index = pd.DatetimeIndex(pd.to_datetime(stamps, utc=True))
    return index.as_unit("ns").asi8


def _day_numbers(stamps: pd.Series | pd.Index | np.ndarray) -> np.ndarray:
    """Days since the epoch (UTC) of each timestamp, as int64."""
    return _nanoseconds(stamps) // NANOS_PER_DAY


def _time_of_day(nanos: np.ndarray) -> np.ndarray:
    """Hours UTC of each time (whole seconds): ``hour + minute / 60 + second / 3600``."""
    seconds = (nanos % NANOS_PER_DAY) // 1_000_000_000
    return seconds // 3600 + (seconds % 3600 // 60) / 60 + (seconds % 60) / 3600


def _day_labels(numbers: np.ndarray) -> np.ndarray:
    """``YYYY-MM-DD`` of each day number (days since the epoch), as Python strings."""
    return np.datetime_as_string(numbers.astype("datetime64[D]"), unit="D").astype(object)


def day_keys(stamps: pd.Series | pd.Index | np.ndarray) -> np.ndarray:
    """``YYYY-MM-DD`` (UTC) of each timestamp (each distinct day formatted once)."""
    numbers = _day_numbers(stamps)
    days, inverse = np.unique(numbers, return_inverse=True)
    return _day_labels(days)[inverse.reshape(-1)]


def profile_days(
    frame: pd.DataFrame,
    *,
    time_column: str = "event_timestamp",
    columns: Sequence[str] | None = None,
    symbol_column: str = "symbol",
) -> dict[str, tuple[DaySketch, int]]:
    """``{day: (sketch, rows)}`` for every UTC day in ``frame[time_column]``.

    ``columns`` defaults to every float column plus :data:`TIME_OF_DAY`. Repeats and
    jumps are counted when ``frame`` has ``symbol_column``. Counts and moments of a day are
    taken for all its columns at once (one ``(columns, rows)`` block per day).
    """
    names = (
        list(columns)
        if columns is not None
        else [c for c in frame.columns if c != time_column and frame[c].dtype.kind == "f"]
    )
    nanos = _nanoseconds(frame[time_column])
    numbers = nanos // NANOS_PER_DAY
    order = np.argsort(numbers, kind="stable")
    days, starts = np.unique(numbers[order], return_index=True)
    bounds = [*starts.tolist(), len(order)]
    raw = {name: frame[name].to_numpy(dtype=np.float64) for name in names}
    if columns is None:
        raw[TIME_OF_DAY] = _time_of_day(nanos).astype(np.float64)
    steps = (
        _steps(pd.factorize(frame[symbol_column])[0], nanos, raw)
        if symbol_column in frame.columns
        else {}
    )
    labels = _day_labels(days)
    block = np.empty((len(raw), len(order)))
    for row, values in enumerate(raw.values()):
        np.take(values, order, out=block[row])
    repeats, jumps = _step_counts(list(raw), steps, order, starts)
    result: dict[str, tuple[DaySketch, int]] = {}
    with np.errstate(invalid="ignore"):
        for i, day in enumerate(labels):
            a, b = bounds[i], bounds[i + 1]
            sketches = _day_columns(block[:, a:b], list(raw), repeats[:, i], jumps[:, i])
            result[str(day)] = (DaySketch(str(day), sketches), b - a)
    return result


def _step_counts(
    names: list[str],
    steps: dict[str, tuple[np.ndarray, np.ndarray]],
    order: np.ndarray,
    starts: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Repeats and jumps per column and day, ``(columns, days)`` (zeros without steps)."""
    shape = (len(names), len(starts))
    if not steps or not len(order):
        return np.zeros(shape, dtype=np.int64), np.zeros(shape, dtype=np.int64)
    counts = []
    for which in (0, 1):
        flags = np.zeros((len(names), len(order)), dtype=np.int64)
        for row, name in enumerate(names):
            if name in steps:
                flags[row] = steps[name][which][order]
        counts.append(np.add.reduceat(flags, starts, axis=1))
    return counts[0], counts[1]


def _day_columns(
    block: np.ndarray, names: list[str], repeats: np.ndarray, jumps: np.ndarray
) -> dict[str, ColumnSketch]:
    """The column sketches of one day's ``(columns, rows)`` block: what
    :meth:`ColumnSketch.of` gives each column, counts and moments taken for all at once."""
    nan = np.isnan(block)
    nans = nan.sum(axis=1)
    infs = np.isinf(block).sum(axis=1)
    kept_counts = block.shape[1] - nans
    total = np.where(nan, 0.0, block).sum(axis=1)
    with np.errstate(divide="ignore"):
        means = total / kept_counts
    deviations = np.where(nan, 0.0, block - means[:, None])
    m2s = (deviations * deviations).sum(axis=1)
    sketches = {}
    for row, name in enumerate(names):
        count, inf = int(kept_counts[row]), int(infs[row])
        kll = kll_doubles_sketch(DAY_KLL_K)
        if count:
            kll.update(block[row] if count == block.shape[1] else block[row][~nan[row]])
        if inf:
            mean = m2 = np.nan
        elif count:
            mean, m2 = float(means[row]), float(m2s[row])
        else:
            mean = m2 = 0.0
        sketches[name] = ColumnSketch(
            block.shape[1], int(nans[row]), int(nans[row]), inf, count, mean, m2, kll,
            int(repeats[row]), int(jumps[row]),
        )  # fmt: skip
    return sketches


def _steps(
    symbols: np.ndarray, times: np.ndarray, values: dict[str, np.ndarray]
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per column, in frame order: is each value a repeat of, or a jump from, the same
    symbol's previous value?"""
    order = np.lexsort((times, symbols))
    sym = symbols[order]
    same = np.zeros(len(sym), dtype=bool)
    same[1:] = sym[1:] == sym[:-1]
    back = np.empty_like(order)
    back[order] = np.arange(len(order))
    result = {}
    with np.errstate(invalid="ignore"):
        for name, v in values.items():
            s = v[order]
            prev = np.empty_like(s)
            prev[0] = np.nan
            prev[1:] = s[:-1]
            repeat = same & (s == prev)
            jump = (
                same & np.isfinite(s) & np.isfinite(prev) & (np.abs(s - prev) > JUMP * np.abs(prev))
            )
            result[name] = (repeat[back], jump[back])
    return result
