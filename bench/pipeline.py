"""Benchmark: pipelines on 500 symbols x 2,520 days in the lake, then one new bar per symbol.

- ``daily_update_500``: the new day through the gate into the lake, the daily update of
  every view (only rows from each change on, two worker processes), day profiles and
  materialization of the new rows; baseline ``full_recompute_500``: today's path on the
  same lake (the transform job of every view, two workers, with its day profiles, and a
  materialization of every view),
  in the same process. The offline values of both are compared (a digest per view and
  symbol, created times aside).
- ``faults_200_partitions``: 200 partition runs (a day's update of one symbol) on a small
  lake, each attempt in a forked worker; 30% of attempts get a fault at a random moment of
  the partition's run (SIGKILL of the worker, or a Redis connection error raised in it);
  failed attempts are retried with exponential backoff and jitter, never more than
  ``ATTEMPTS`` times. Metric: share of partitions that succeeded; the offline tables and
  the marks are compared with a run without faults.
- ``backfill_500``: ``axiom backfill`` of the TA-Lib views over the whole history (Parquet
  in and out, day profiles included, two worker processes); baseline ``raw_talib_floor``
  (bench-transforms': every distinct TA-Lib call on contiguous arrays, one process).
- ``ingest_5m_rows``: a 5,000,000-row CSV through the gate into the lake, rows per second.

Data are cached under ``bench/.cache/pipeline``. ``BENCH_SYMBOLS``/``BENCH_DAYS`` and
``BENCH_INGEST_ROWS`` shrink the run; ``BENCH_CASES`` picks cases (comma-separated).

Run: ``python -m bench.pipeline`` (or ``make bench-pipeline``).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import (
    CACHE_DIR,
    cost_case,
    isolated,
    package_versions,
    peak_rss_mb,
    write_result,
)

SYMBOLS = int(os.environ.get("BENCH_SYMBOLS", "500"))
DAYS = int(os.environ.get("BENCH_DAYS", "2520"))
INGEST_ROWS = int(os.environ.get("BENCH_INGEST_ROWS", "5000000"))
CASES = os.environ.get("BENCH_CASES", "daily,faults,backfill,ingest").split(",")
WORKERS = 2
SEED = 2520
END = datetime(2026, 6, 30, 21, tzinfo=UTC)
RECEIVED = datetime(2026, 7, 1, tzinfo=UTC)
REPO_FILES = ("feature_store.yaml", ".feastignore", "feature_repo", "profiles")
ROOT = Path(__file__).resolve().parents[1]
HERE = CACHE_DIR / "pipeline"

FAULT_SYMBOLS = 10
FAULT_DAYS = 20
FAULT_HISTORY = 300
FAULT_SHARE = 0.3
FAULT_VIEWS = ["ta_momentum", "ta_overlap", "ta_volatility", "microstructure", "risk"]
"""A partition's views: TA-Lib views carried by the state, a window family, the market."""
ATTEMPTS = 8
"""Tries per partition in all; at a 30% fault rate all eight fail with p = 6.6e-5."""


def scratch_repo(name: str) -> Path:
    """A fresh repository under the cache with the platform's Feast definitions."""
    root = HERE / name
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    for entry in REPO_FILES:
        src = ROOT / entry
        if src.is_dir():
            shutil.copytree(src, root / entry, ignore=shutil.ignore_patterns("__pycache__"))
        elif src.exists():
            shutil.copy2(src, root / entry)
    project = f"bench{name.replace('_', '')}"
    for yaml in [root / "feature_store.yaml", *root.glob("profiles/*/feature_store.yaml")]:
        yaml.write_text(yaml.read_text().replace("project: axiom", f"project: {project}"))
    return root


def market(symbols: int, days: int):  # noqa: ANN201 - DataFrame
    """``days + 1`` sessions of bars; the last session is the new day."""
    from axiom_features.synthetic.bars import generate_bars

    return generate_bars(symbols, days + 1, seed=SEED, end=END, created_at=RECEIVED)


def cached_lake(symbols: int, days: int) -> Path:
    """A lake of ``days`` sessions for ``symbols`` (received at ``RECEIVED``), and the next
    session's bars in ``new_day.parquet`` beside it."""
    from axiom_features.lakes.bars import BarLake
    from axiom_features.paths import RepoPaths

    folder = HERE / f"lake_{symbols}x{days}"
    if (folder / "_complete").exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    bars = market(symbols, days)
    last = bars.event_timestamp.max()
    BarLake(RepoPaths(folder)).upsert(bars[bars.event_timestamp < last])
    bars[bars.event_timestamp == last].to_parquet(folder / "new_day.parquet", index=False)
    (folder / "_complete").touch()
    return folder


def offline_digests(root: Path) -> dict[str, str]:
    """A values digest (created times aside) per offline table."""
    import pyarrow.parquet as pq

    from axiom_features.backfill.digests import values_digest

    offline = root / "data" / "offline"
    return {
        p.relative_to(offline).as_posix(): values_digest(pq.read_table(p))
        for p in sorted(offline.rglob("*.parquet"))
    }


def measure_daily(symbols: int, days: int) -> dict[str, Any]:
    """Yesterday's state, today's update timed, then today's full recompute timed."""
    import pandas as pd

    from axiom_features.pipeline import jobs
    from axiom_features.updates.jobs import daily_update

    lake = cached_lake(symbols, days)
    root = scratch_repo("daily")
    shutil.copytree(lake / "data", root / "data")
    jobs.transform(root, workers=WORKERS)
    jobs.apply(root)
    jobs.materialize(root, None, datetime.now(UTC))
    daily_update(root)  # yesterday's marks
    new_day = pd.read_parquet(lake / "new_day.parquet").drop(columns="created_timestamp")

    started = time.perf_counter()
    jobs.ingest_frame(root, new_day, source="synthetic", origin="new_day.parquet")
    update = daily_update(root)
    update_seconds = time.perf_counter() - started
    update_digests = offline_digests(root)

    started = time.perf_counter()
    jobs.transform(root, workers=WORKERS)
    jobs.materialize(root, datetime(1970, 1, 1, tzinfo=UTC), datetime.now(UTC))
    full_seconds = time.perf_counter() - started
    full_digests = offline_digests(root)
    differing = sorted(k for k in full_digests if update_digests.get(k) != full_digests[k])
    return {
        "update_seconds": update_seconds,
        "full_seconds": full_seconds,
        "tables": len(full_digests),
        "differing_tables": differing[:20],
        "identical": not differing and len(update_digests) == len(full_digests),
        "carried": update.carried,
        "recomputed": update.recomputed,
        "rows_written": sum(update.rows_per_view.values()),
        "peak_rss_mb": peak_rss_mb(children=True),
    }


def _fault_repo(name: str) -> tuple[Path, Any]:
    from axiom_features.ingest import import_frame
    from axiom_features.paths import RepoPaths
    from axiom_features.pipeline.transform_job import run_transform_job

    bars = market(FAULT_SYMBOLS, FAULT_HISTORY + FAULT_DAYS - 1)
    stamps = sorted(bars.event_timestamp.unique())
    root = HERE / name
    shutil.rmtree(root, ignore_errors=True)
    repo = RepoPaths(root)
    import_frame(bars[bars.event_timestamp < stamps[FAULT_HISTORY]], repo, run_id="h", source="s")
    run_transform_job(repo, created=RECEIVED, views=FAULT_VIEWS)
    return root, bars


def _partition(root: str, symbol: str, day: int) -> None:
    from axiom_features.paths import RepoPaths
    from axiom_features.updates.daily import update_offline

    created = RECEIVED + timedelta(days=day + 1)
    update_offline(RepoPaths(Path(root)), created=created, symbols=[symbol], views=FAULT_VIEWS)


def _attempt(root: Path, symbol: str, day: int, fault: str | None, delay: float) -> int:
    """One try of a partition in a forked worker; its exit code (negative: killed)."""
    pid = os.fork()
    if pid == 0:  # the worker
        code = 0
        try:
            if fault == "kill":
                signal.signal(signal.SIGALRM, lambda *_: os.kill(os.getpid(), signal.SIGKILL))
            elif fault == "connection":

                def refuse(*_: Any) -> None:
                    import redis

                    raise redis.exceptions.ConnectionError("Connection refused (injected)")

                signal.signal(signal.SIGALRM, refuse)
            if fault:
                signal.setitimer(signal.ITIMER_REAL, max(delay, 1e-4))
            _partition(str(root), symbol, day)
            signal.setitimer(signal.ITIMER_REAL, 0)
        except BaseException as error:  # noqa: BLE001 - the exit code tells the parent
            if fault is None:
                with open(HERE / "partition_errors.log", "a") as log:
                    log.write(f"{symbol} day {day}: {error!r}\n")
            code = 3
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def run_partitions(root: Path, bars: Any, *, faults: bool, seed: int = 7) -> dict[str, Any]:
    """Every (day, symbol) partition, each day's bars ingested first; with ``faults`` 30% of
    attempts fail at a random moment and are retried with backoff and jitter."""
    import pandas as pd

    from axiom_features.ingest import import_frame
    from axiom_features.paths import RepoPaths

    rng = random.Random(seed)
    stamps = sorted(bars.event_timestamp.unique())[FAULT_HISTORY:]
    symbols = sorted(bars.symbol.unique())
    succeeded = attempts = injected = 0
    duration = 0.5
    for day, stamp in enumerate(stamps):
        today = bars[bars.event_timestamp == stamp].copy()
        today["created_timestamp"] = pd.Timestamp(RECEIVED + timedelta(days=day + 1)).as_unit("us")
        import_frame(today, RepoPaths(root), run_id=f"d{day}", source="s")
        for symbol in symbols:
            delay = 0.01
            for _ in range(ATTEMPTS):
                fault = None
                if faults and rng.random() < FAULT_SHARE:
                    fault = rng.choice(["kill", "connection"])
                    injected += 1
                started = time.perf_counter()
                code = _attempt(root, symbol, day, fault, rng.uniform(0.05, 0.9) * duration)
                attempts += 1
                if code == 0:
                    duration = 0.8 * duration + 0.2 * (time.perf_counter() - started)
                    succeeded += 1
                    break
                time.sleep(delay * rng.uniform(0.5, 1.5))
                delay = min(delay * 2, 1.0)
    return {
        "partitions": len(stamps) * len(symbols),
        "succeeded": succeeded,
        "attempts": attempts,
        "faults_injected": injected,
    }


def _marks(root: Path) -> dict[str, Any]:
    folder = root / "data" / "state" / "watermarks"
    return {p.name: json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))}


def measure_faults() -> dict[str, Any]:
    clean_root, bars = _fault_repo("faults_clean")
    started = time.perf_counter()
    clean = run_partitions(clean_root, bars, faults=False)
    clean_seconds = time.perf_counter() - started
    faulty_root, _ = _fault_repo("faults_injected")
    started = time.perf_counter()
    faulty = run_partitions(faulty_root, bars, faults=True)
    seconds = time.perf_counter() - started
    same_tables = offline_digests(clean_root) == offline_digests(faulty_root)
    same_marks = _marks(clean_root) == _marks(faulty_root)
    return {
        **faulty,
        "success_rate": faulty["succeeded"] / faulty["partitions"],
        "clean_succeeded": clean["succeeded"],
        "stores_identical": same_tables and same_marks,
        "seconds": seconds,
        "clean_seconds": clean_seconds,
        "peak_rss_mb": peak_rss_mb(children=True),
    }


def measure_backfill(symbols: int, days: int) -> dict[str, Any]:
    """The TA-Lib views' whole history through ``backfill`` (profiles included), and the raw
    TA-Lib floor on the same bars."""
    import numpy as np
    import pyarrow.parquet as pq

    from axiom_features.backfill.jobs import backfill
    from axiom_features.pipeline.transform_job import talib_only
    from bench.transforms import run_floor
    from transforms.catalogue import catalogue
    from transforms.compute import plan_for
    from transforms.talib_features import DERIVED_INPUTS

    lake = cached_lake(symbols, days)
    views = talib_only(catalogue().select(None))
    plan = plan_for(views)
    inputs = []
    for path in sorted((lake / "data" / "lake" / "bars").glob("*.parquet")):
        table = pq.read_table(path, columns=["open", "high", "low", "close", "volume"])
        arrays = {n: np.ascontiguousarray(table.column(n).to_numpy()) for n in table.column_names}
        arrays.update({name: d.compute(arrays) for name, d in DERIVED_INPUTS.items()})
        inputs.append(arrays)
    started = time.perf_counter()
    run_floor(list(plan.calls), inputs)
    floor = time.perf_counter() - started
    del inputs
    root = scratch_repo("backfill")
    shutil.copytree(lake / "data", root / "data")
    started = time.perf_counter()
    backfill(
        root,
        datetime(1970, 1, 1, tzinfo=UTC),
        END + timedelta(days=1),
        views=[v.name for v in views],
        created=RECEIVED,
    )
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "floor": floor, "peak_rss_mb": peak_rss_mb(children=True)}


def measure_ingest(rows: int) -> dict[str, Any]:
    """A ``rows``-row vendor CSV through the gate into an empty lake."""
    from axiom_features.pipeline import jobs
    from axiom_features.synthetic.bars import generate_bars, vendor_frame

    days = 2500
    symbols = max(1, rows // days)
    csv = HERE / f"ingest_{symbols}x{days}.csv"
    if not csv.exists():
        vendor_frame(generate_bars(symbols, days, seed=SEED, end=END)).to_csv(csv, index=False)
    root = scratch_repo("ingest")
    started, cpu = time.perf_counter(), time.process_time()
    result = jobs.ingest_files(root, [csv])
    seconds = time.perf_counter() - started
    return {
        "rows": result.rows_in,
        "accepted": result.accepted,
        "quarantined": result.quarantined,
        "seconds": seconds,
        "cpu_seconds": time.process_time() - cpu,
        "peak_rss_mb": peak_rss_mb(children=True),
    }


def _load() -> list[float]:
    return [round(v, 2) for v in os.getloadavg()]


def _earlier_cases() -> list[dict[str, Any]]:
    """The cases of the last result file, each with the load average its run started at."""
    from bench.common import RESULTS_DIR

    path = RESULTS_DIR / "pipeline.json"
    if not path.exists():
        return []
    document = json.loads(path.read_text())
    load = document.get("setup", {}).get("load_average_at_start")
    started = document.get("when")
    return [
        {"load_average_at_start": load, "measured": started, **case} for case in document["cases"]
    ]


def main() -> None:
    HERE.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()
    print(f"pipeline benchmark: {SYMBOLS} symbols x {DAYS} days; load {load[0]:.2f}")
    cases: list[dict[str, Any]] = []
    setup = {
        "symbols": SYMBOLS,
        "days": DAYS,
        "workers": WORKERS,
        "cpus": os.cpu_count(),
        "load_average_at_start": [round(v, 2) for v in load],
        "online": "SQLite (default profile)",
    }
    versions = package_versions("feast", "ta-lib", "pyarrow", "whylogs")

    earlier = _earlier_cases()

    def save() -> Path:
        """Write every case measured so far (a long run keeps what it finished), after the
        cases an earlier run measured and this one did not."""
        measured = {c["case"] for c in cases}
        kept = [c for c in earlier if c["case"] not in measured]
        return write_result("pipeline", versions=versions, setup=setup, cases=kept + cases)

    if "daily" in CASES:
        at_start = _load()
        daily = isolated(measure_daily, SYMBOLS, DAYS)
        print(f"  daily update {daily['update_seconds']:.2f} s, full {daily['full_seconds']:.2f} s")
        extra = {k: daily[k] for k in ("identical", "tables", "carried", "recomputed")}
        cases.append(
            cost_case(
                f"daily_update_{SYMBOLS}",
                baseline=f"full_recompute_{SYMBOLS}",
                baseline_value=daily["full_seconds"],
                value=daily["update_seconds"],
                peak_rss_mb=daily["peak_rss_mb"],
                goal="ratio <= 0.1 and identical",
                **extra,
                rows_written=daily["rows_written"],
                differing_tables=daily["differing_tables"],
                load_average_at_start=at_start,
            )
        )
        save()
    if "faults" in CASES:
        at_start = _load()
        faults = isolated(measure_faults)
        print(f"  faults: {faults['succeeded']}/{faults['partitions']} partitions succeeded")
        cases.append(
            {
                "case": "faults_200_partitions",
                "metric": "success_rate",
                "value": round(faults["success_rate"], 4),
                "peak_rss_mb": round(faults["peak_rss_mb"], 1),
                "goal": "value >= 0.999 and stores_identical",
                **{k: faults[k] for k in ("partitions", "attempts", "faults_injected")},
                "stores_identical": faults["stores_identical"],
                "seconds": round(faults["seconds"], 2),
                "fault_free_seconds": round(faults["clean_seconds"], 2),
                "lake": f"{FAULT_SYMBOLS} symbols x {FAULT_HISTORY} days + {FAULT_DAYS} days",
                "load_average_at_start": at_start,
            }
        )
        save()
    if "backfill" in CASES:
        at_start = _load()
        back = isolated(measure_backfill, SYMBOLS, DAYS)
        print(f"  backfill {back['seconds']:.2f} s, floor {back['floor']:.2f} s")
        cases.append(
            cost_case(
                f"backfill_{SYMBOLS}",
                baseline="raw_talib_floor",
                baseline_value=back["floor"],
                value=back["seconds"],
                peak_rss_mb=back["peak_rss_mb"],
                goal="ratio <= 3",
                load_average_at_start=at_start,
            )
        )
        save()
    if "ingest" in CASES:
        at_start = _load()
        ingest = isolated(measure_ingest, INGEST_ROWS)
        rate = ingest["rows"] / ingest["seconds"]
        print(f"  ingest {ingest['rows']:,} rows in {ingest['seconds']:.1f} s: {rate:,.0f} rows/s")
        cases.append(
            {
                "case": "ingest_5m_rows",
                "metric": "rows_per_second",
                "value": round(rate),
                "peak_rss_mb": round(ingest["peak_rss_mb"], 1),
                "goal": "value >= 250000 and peak_rss_mb <= 4096",
                **{k: ingest[k] for k in ("rows", "accepted", "quarantined")},
                "seconds": round(ingest["seconds"], 2),
                "cpu_seconds": round(ingest["cpu_seconds"], 2),
                "rows_per_cpu_second": round(ingest["rows"] / ingest["cpu_seconds"]),
                "load_average_at_start": at_start,
            }
        )
    out = save()
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
