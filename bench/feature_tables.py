"""Synthetic offline feature tables shaped like the transform job's, and a Feast repo over them.

Two views keyed by ``symbol``: ``features_50`` (50 float64 columns) and ``features_150``
(150), each ``data/offline/<view>/<SYMBOL>.parquet`` with ``symbol``, ``event_timestamp``,
``created_timestamp`` (UTC, microseconds) and the features, snappy, one file per symbol as
``axiom transform`` writes them. Values are random with a NaN warm-up at the start of every
column; one symbol in ten stops trading early, and in the latest row of one symbol in seven
a few columns are NaN (stored online as null). Cached under ``bench/.cache/``.
"""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from bench.common import CACHE_DIR

SYMBOLS = int(os.environ.get("BENCH_SYMBOLS", "500"))
DAYS = int(os.environ.get("BENCH_DAYS", "2520"))
VIEWS = {"features_50": 50, "features_150": 150}
END = datetime(2026, 6, 30, 20, 0, tzinfo=UTC)
CREATED = datetime(2026, 7, 1, 2, 0, tzinfo=UTC)
SEED = 66
UTC_US = pa.timestamp("us", tz="UTC")


def symbols(count: int = SYMBOLS) -> list[str]:
    return [f"S{i:04d}" for i in range(count)]


def feature_names(view: str) -> list[str]:
    return [f"{view[:1]}{VIEWS[view]}_{j:03d}" for j in range(VIEWS[view])]


def _timestamps(days: int) -> np.ndarray:
    """``days`` weekday session closes ending at ``END``, as epoch microseconds."""
    stamps: list[datetime] = []
    day = END
    while len(stamps) < days:
        if day.weekday() < 5:
            stamps.append(day)
        day -= timedelta(days=1)
    stamps.reverse()
    return np.array([int(s.timestamp()) * 1_000_000 for s in stamps], dtype=np.int64)


def _symbol_table(view: str, symbol: str, index: int, stamps: np.ndarray) -> pa.Table:
    rng = np.random.default_rng([SEED, index, VIEWS[view]])
    rows = len(stamps) - (rng.integers(1, 60) if index % 10 == 3 else 0)
    names = feature_names(view)
    data = rng.standard_normal((rows, len(names))) * rng.lognormal(0, 2, len(names))
    for j in range(len(names)):
        data[: rng.integers(0, 250), j] = np.nan
    if index % 7 == 0:
        data[-1, rng.choice(len(names), size=3, replace=False)] = np.nan
    created = int(CREATED.timestamp()) * 1_000_000
    columns = {
        "symbol": pa.array([symbol] * rows, pa.string()),
        "event_timestamp": pa.array(stamps[:rows], pa.int64()).cast(UTC_US),
        "created_timestamp": pa.array(np.full(rows, created), pa.int64()).cast(UTC_US),
    }
    columns.update({name: pa.array(data[:, j]) for j, name in enumerate(names)})
    return pa.table(columns)


def offline_root(symbols_count: int = SYMBOLS, days: int = DAYS) -> Path:
    """A folder with ``offline/<view>/<SYMBOL>.parquet`` for both views, made on first use."""
    root = CACHE_DIR / f"feature_tables_{symbols_count}x{days}_seed{SEED}"
    done = root / ".complete"
    if done.exists():
        return root
    if root.exists():
        shutil.rmtree(root)
    stamps = _timestamps(days)
    for view in VIEWS:
        folder = root / "offline" / view
        folder.mkdir(parents=True)
        for index, symbol in enumerate(symbols(symbols_count)):
            table = _symbol_table(view, symbol, index, stamps)
            pq.write_table(
                table, folder / f"{symbol}.parquet", compression="snappy", use_dictionary=["symbol"]
            )
    done.touch()
    return root
