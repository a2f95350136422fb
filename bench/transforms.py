"""Benchmark: the TA-Lib catalogue against the raw TA-Lib floor, 500 symbols x 2,520 days.

- Floor (``raw_talib_floor``): the catalogue's distinct TA-Lib calls (same functions,
  inputs and parameters) made directly as ``talib.<FUNC>(...)`` on contiguous float64
  arrays, for every symbol, nothing else.
- ``one_process``: ``transforms.compute.compute_all`` on every symbol's bars DataFrame,
  one process; timed interleaved with the floor in the same process.
- ``two_processes``: the same split over two worker processes, symbols in batches.
- ``job_two_workers``: the whole transform job with two workers (read the lake's Parquet,
  compute, write one Parquet file per view and symbol), for reference.

Data: geometric Brownian motion OHLCV, cached under ``bench/.cache/``. Each measurement
runs in a fresh process so its peak RSS is its own; data generation, loading and worker
start-up are outside the timings. Timings are medians of ``BENCH_REPEATS`` runs (default 5).
``BENCH_SYMBOLS`` and ``BENCH_DAYS`` shrink the run for a smoke test.

Run: ``python -m bench.transforms`` (or ``make bench-transforms``).
"""

from __future__ import annotations

import os
import shutil
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from bench.common import (
    CACHE_DIR,
    SPAWN,
    cost_case,
    isolated,
    median,
    package_versions,
    peak_rss_mb,
    seconds,
    write_result,
)

SYMBOLS = int(os.environ.get("BENCH_SYMBOLS", "500"))
DAYS = int(os.environ.get("BENCH_DAYS", "2520"))
REPEATS = int(os.environ.get("BENCH_REPEATS", "5"))
SEED = 2520
BATCH = 10
"""Symbols per task in the two-process case."""
FIELDS = ("open", "high", "low", "close", "volume")


def generate(symbols: int, days: int, seed: int = SEED) -> dict[str, np.ndarray]:
    """``(symbols, days)`` arrays of daily OHLCV from a geometric Brownian motion."""
    rng = np.random.default_rng(seed)
    shape = (symbols, days)
    start = rng.uniform(10.0, 500.0, (symbols, 1))
    close = start * np.exp(np.cumsum(rng.normal(0.0002, 0.02, shape), axis=1))
    previous = np.concatenate([start, close[:, :-1]], axis=1)
    open_ = previous * np.exp(rng.normal(0.0, 0.005, shape))
    high = np.maximum(open_, close) * np.exp(np.abs(rng.normal(0.0, 0.01, shape)))
    low = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0.0, 0.01, shape)))
    volume = rng.lognormal(13.0, 0.6, shape)
    stamps = pd.bdate_range("2015-01-02", periods=days, tz="UTC").as_unit("us")
    return {
        "open": open_,
        "high": high,
        "low": low,
        "close": close,
        "volume": volume,
        "event_timestamp": stamps.asi8,
    }


def cached_data(symbols: int = SYMBOLS, days: int = DAYS) -> Path:
    """The generated data's cache file, created on first use."""
    path = CACHE_DIR / f"bars_{symbols}x{days}_seed{SEED}.npz"
    if not path.exists():
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, **generate(symbols, days))
        os.replace(tmp, path)
    return path


def load_frames(path: Path) -> list[pd.DataFrame]:
    """One bars DataFrame per symbol (event_timestamp and float64 OHLCV)."""
    with np.load(path) as data:
        stamps = pd.DatetimeIndex(data["event_timestamp"].astype("datetime64[us]"), tz="UTC")
        arrays = {name: data[name] for name in FIELDS}
    return [
        pd.DataFrame({"event_timestamp": stamps, **{n: arrays[n][s] for n in FIELDS}})
        for s in range(arrays["close"].shape[0])
    ]


def _floor_inputs(frames: list[pd.DataFrame]) -> list[dict[str, np.ndarray]]:
    from transforms.talib_features import DERIVED_INPUTS

    inputs = []
    for frame in frames:
        arrays = {n: np.ascontiguousarray(frame[n].to_numpy(np.float64)) for n in FIELDS}
        arrays.update({name: d.compute(arrays) for name, d in DERIVED_INPUTS.items()})
        inputs.append(arrays)
    return inputs


def run_floor(calls: list, inputs: list[dict[str, np.ndarray]]) -> None:
    """Every distinct TA-Lib call of the catalogue, straight on contiguous arrays."""
    for arrays in inputs:
        for call in calls:
            call.function(*[arrays[name] for name in call.inputs], **call.parameters)


def run_platform(frames: list[pd.DataFrame]) -> int:
    """``compute_all`` for every symbol; returns the rows computed."""
    from transforms.compute import compute_all

    return sum(len(compute_all(frame)) for frame in frames)


def measure_one_process(path: Path, repeats: int) -> dict[str, Any]:
    """Floor and one-process platform, interleaved, in this (fresh) process."""
    from transforms.catalogue import catalogue
    from transforms.compute import plan_for

    frames = load_frames(path)
    cat = catalogue()
    plan = plan_for([v for v in cat.views.values() if cat.family_of(v.name) == "talib"])
    inputs = _floor_inputs(frames)
    run_floor(plan.calls, inputs[:1])
    run_platform(frames[:1])
    floor, platform = [], []
    for _ in range(repeats):
        floor.append(seconds(lambda: run_floor(plan.calls, inputs)))
        platform.append(seconds(lambda: run_platform(frames)))
    return {
        "floor": floor,
        "platform": platform,
        "peak_rss_mb": peak_rss_mb(),
        "features": len(plan.names),
        "calls": len(plan.calls),
    }


_WORKER_FRAMES: list[pd.DataFrame] = []


WORKER_START_SECONDS = 600.0
"""How long a loaded worker waits for the other one before timing starts without it."""


def _init_worker(path: Path, ready: Any) -> None:
    """Load the data, warm up, then wait (bounded) until both workers are loaded."""
    import threading

    _WORKER_FRAMES.extend(load_frames(path))
    run_platform(_WORKER_FRAMES[:1])
    try:
        ready.wait(timeout=WORKER_START_SECONDS)
    except threading.BrokenBarrierError:
        pass  # a busy machine: measure with the workers that started


def _worker_batch(indices: list[int]) -> tuple[int, int, float]:
    rows = run_platform([_WORKER_FRAMES[i] for i in indices])
    return rows, os.getpid(), peak_rss_mb()


def _worker_ready(_: int) -> int:
    import time

    time.sleep(0.5)
    return os.getpid()


def measure_two_processes(path: Path, repeats: int) -> dict[str, Any]:
    """The platform over two worker processes started (and loaded) before timing."""
    symbols = len(load_frames(path))
    batches = [list(range(i, min(i + BATCH, symbols))) for i in range(0, symbols, BATCH)]
    timings, peaks = [], {}
    ready = SPAWN.Barrier(2)
    with ProcessPoolExecutor(
        2, mp_context=SPAWN, initializer=_init_worker, initargs=(path, ready)
    ) as pool:
        started = len(set(pool.map(_worker_ready, range(4))))
        for _ in range(repeats):
            results: list[tuple[int, int, float]] = []
            timings.append(
                seconds(lambda out=results: out.extend(pool.map(_worker_batch, batches)))
            )
            for _rows, pid, peak in results:
                peaks[pid] = max(peak, peaks.get(pid, 0.0))
    return {
        "platform": timings,
        "peak_rss_mb": peak_rss_mb() + sum(peaks.values()),
        "worker_peaks_mb": sorted(peaks.values()),
        "workers_started": started,
    }


def _lake(path: Path) -> Path:
    """A repository whose lake holds the generated bars, one Parquet file per symbol."""
    from axiom_features.contracts import BAR_SCHEMA
    from axiom_features.paths import RepoPaths

    root = path.with_suffix("")
    repo = RepoPaths(root)
    if not (repo.bars / "_complete").exists():
        repo.bars.mkdir(parents=True, exist_ok=True)
        for s, frame in enumerate(load_frames(path)):
            symbol = f"S{s:04d}"
            table = pa.Table.from_pandas(
                frame.assign(
                    symbol=symbol, created_timestamp=frame.event_timestamp, source="bench"
                ),
                preserve_index=False,
            )
            pq.write_table(
                table.select(BAR_SCHEMA.names).cast(BAR_SCHEMA), repo.bars / f"{symbol}.parquet"
            )
        (repo.bars / "_complete").touch()
    return root


def measure_job(path: Path, workers: int) -> dict[str, Any]:
    """The transform job end to end (Parquet in, Parquet out), once."""
    from axiom_features.paths import RepoPaths
    from axiom_features.pipeline.transform_job import run_transform_job
    from transforms.catalogue import catalogue

    repo = RepoPaths(_lake(path))
    shutil.rmtree(repo.offline, ignore_errors=True)
    cat = catalogue()
    talib = [name for name in cat.views if cat.family_of(name) == "talib"]
    result = run_transform_job(repo, workers=workers, views=talib)
    written = sum(p.stat().st_size for p in result.paths)
    shutil.rmtree(repo.offline, ignore_errors=True)
    return {
        "seconds": result.elapsed_seconds,
        "peak_rss_mb": peak_rss_mb(children=True),
        "written_mb": written / 2**20,
    }


def main() -> None:
    path = cached_data()
    rows = SYMBOLS * DAYS
    load = os.getloadavg()[0]
    print(f"transforms benchmark: {SYMBOLS} symbols x {DAYS} days, {REPEATS} repeats")
    if load > 0.5:
        print(f"  warning: load average {load:.2f} at start; other work skews the timings")
    one = isolated(measure_one_process, path, REPEATS)
    floor = median(one["floor"])
    print(
        f"  raw TA-Lib floor   {floor:7.2f} s   ({one['calls']} calls, {one['features']} "
        f"features per symbol)"
    )
    print(f"  one process        {median(one['platform']):7.2f} s")
    two = isolated(measure_two_processes, path, REPEATS)
    print(f"  two processes      {median(two['platform']):7.2f} s")
    if two["workers_started"] < 2:
        print("  warning: one worker started in time; the machine is busy (load recorded)")
    job = isolated(measure_job, path, 2)
    print(f"  job, two workers   {job['seconds']:7.2f} s   (Parquet in and out)")

    def per_second(value: float) -> float:
        return round(rows / value)

    cases = [
        cost_case(
            "one_process",
            baseline="raw_talib_floor",
            baseline_value=floor,
            value=median(one["platform"]),
            peak_rss_mb=one["peak_rss_mb"],
            goal="ratio <= 1.3 and peak_rss_mb <= 4096",
            rows_per_second=per_second(median(one["platform"])),
            runs=[round(v, 3) for v in one["platform"]],
            baseline_runs=[round(v, 3) for v in one["floor"]],
        ),
        cost_case(
            "two_processes",
            baseline="raw_talib_floor",
            baseline_value=floor,
            value=median(two["platform"]),
            peak_rss_mb=two["peak_rss_mb"],
            goal="ratio < 1.0 and peak_rss_mb <= 4096",
            rows_per_second=per_second(median(two["platform"])),
            runs=[round(v, 3) for v in two["platform"]],
            worker_peaks_mb=[round(v, 1) for v in two["worker_peaks_mb"]],
            workers_started=two["workers_started"],
        ),
        cost_case(
            "job_two_workers",
            baseline="raw_talib_floor",
            baseline_value=floor,
            value=job["seconds"],
            peak_rss_mb=job["peak_rss_mb"],
            goal="reference only (includes Parquet read and write)",
            rows_per_second=per_second(job["seconds"]),
            written_mb=round(job["written_mb"], 1),
        ),
    ]
    out = write_result(
        "transforms",
        versions=package_versions("ta-lib", "numpy", "pandas", "pyarrow"),
        setup={
            "symbols": SYMBOLS,
            "days": DAYS,
            "rows": rows,
            "features": one["features"],
            "talib_calls_per_symbol": one["calls"],
            "repeats": REPEATS,
            "cpus": os.cpu_count(),
            "load_average_at_start": round(load, 2),
            "data": "geometric Brownian motion OHLCV",
            "peak_rss_mb": "one_process: its process; two_processes: parent plus each "
            "worker's own peak; job: parent plus largest worker",
        },
        cases=cases,
    )
    for case in cases:
        print(
            f"  {case['case']:16} ratio {case['ratio']:6.3f}  peak {case['peak_rss_mb']:7.1f}"
            f" MB  {case['rows_per_second']:,} rows/s   goal: {case['goal']}"
        )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
