"""Benchmark: point-in-time training sets, the platform's offline store vs a raw DuckDB ASOF
JOIN and stock Feast.

Data (:mod:`bench.feature_tables`): 500 symbols × 2,520 days, views of 50 and 150 float64
columns in the transform job's Parquet layout (one file per symbol), TTL 7 days. Entity
frames of 10k, 100k and 1M rows: random symbols, random instants over the whole history
(seconds resolution), cached under ``bench/.cache/``. Every case asks for all 200 features
and a pandas frame:

- ``value``: ``FeatureStore.get_historical_features(entity_df, features).to_df()`` with the
  platform's offline store (``axiom_features.offline.duckdb_store.AxiomDuckDBOfflineStore``,
  DuckDB ``memory_limit`` 4 GB, default threads);
- baseline ``raw_duckdb_asof``: one hand-written DuckDB query, ``ASOF LEFT JOIN`` of the entity
  frame with each view's Parquet files (both sides cast to ``TIMESTAMPTZ``, session time zone
  UTC), ``.df()`` — no TTL, no created-time tie-break;
- baseline ``stock_feast``: the same ``get_historical_features`` call with stock Feast's file
  offline store (``type: file``, what the default profile used), stopped after
  ``BENCH_STOCK_LIMIT_S`` (default 120 s) or above ``BENCH_STOCK_MEMORY_MB`` resident
  (default 10,000 MB; it needed 24 GB at 10k rows) and then reported with ``"capped": true``
  and the time it had run. (Feast's DuckDB store needs the ``ibis`` extra, not installed.)

Each measurement runs in a fresh child process; ``seconds`` covers the retrieval only (store
opening and reading the cached entity frame are outside), ``peak_rss_mb`` is the child's own
peak. Platform and raw timings are medians of ``BENCH_REPEATS`` runs (default 3; 2 at 1M rows).
The platform's 10k-row answer is checked against the raw ASOF answer where no TTL applies.

Run: ``python -m bench.retrieval`` (or ``make bench-retrieval``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench.common import CACHE_DIR, cost_case, median, package_versions, write_result
from bench.feature_tables import (
    DAYS,
    PLATFORM_OFFLINE,
    SYMBOLS,
    VIEWS,
    definitions,
    offline_root,
    symbols,
)
from bench.feature_tables import feature_names as view_features

REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))
STOCK_LIMIT_S = float(os.environ.get("BENCH_STOCK_LIMIT_S", "120"))
STOCK_MEMORY_MB = float(os.environ.get("BENCH_STOCK_MEMORY_MB", "10000"))
SIZES = {"10k_rows": 10_000, "100k_rows": 100_000, "1m_rows": 1_000_000}
GOALS = {
    "10k_rows": (1.5, 4096),
    "100k_rows": (1.5, 4096),
    "1m_rows": (2.0, 8192),
}
REPO = CACHE_DIR / "retrieval_repo"
SEED = 77


def entity_frame(rows: int) -> Path:
    """``rows`` random (symbol, instant) pairs over the data's history, cached as Parquet."""
    path = CACHE_DIR / f"retrieval_entities_{rows}_seed{SEED}.parquet"
    if path.exists():
        return path
    rng = np.random.default_rng([SEED, rows])
    offline = offline_root()
    first = pd.read_parquet(
        offline / "offline" / "features_50" / f"{symbols()[0]}.parquet", columns=["event_timestamp"]
    )["event_timestamp"]
    start, end = first.min(), first.max() + pd.Timedelta(days=1)
    span = int((end - start).total_seconds())
    frame = pd.DataFrame(
        {
            "symbol": rng.choice(symbols(), rows),
            "event_timestamp": start + pd.to_timedelta(rng.integers(0, span, rows), unit="s"),
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(path)
    return path


def repo_yaml(kind: str) -> Path:
    """A ``feature_store.yaml`` over the cached tables: ``platform`` or ``stock``."""
    REPO.mkdir(parents=True, exist_ok=True)
    offline = PLATFORM_OFFLINE if kind == "platform" else "file"
    path = REPO / f"{kind}.yaml"
    path.write_text(
        f"project: bench_retrieval\nprovider: local\nregistry: data/{kind}_registry.db\n"
        f"online_store:\n  type: sqlite\n  path: data/{kind}_online.db\n"
        f"offline_store:\n  type: {offline}\nentity_key_serialization_version: 3\n"
    )
    return path


def all_features() -> list[str]:
    return [f"{view}:{name}" for view in VIEWS for name in view_features(view)]


# ---------------------------------------------------------------- children (one run each)


def raw_sql(offline: Path) -> str:
    selects, joins = ["e.*"], []
    for i, view in enumerate(VIEWS):
        alias = f"v{i}"
        selects += [f'{alias}."{name}"' for name in view_features(view)]
        joins.append(
            f"ASOF LEFT JOIN read_parquet('{offline / 'offline' / view}/*.parquet') {alias} "
            f"ON e.symbol = {alias}.symbol "
            f"AND e.event_timestamp::TIMESTAMPTZ >= {alias}.event_timestamp::TIMESTAMPTZ"
        )
    return f"SELECT {', '.join(selects)} FROM entity e {' '.join(joins)}"


def child(mode: str, rows: int) -> None:
    """One timed retrieval in this fresh process; prints a JSON line."""
    from bench.common import peak_rss_mb

    entity = pd.read_parquet(entity_frame(rows))
    offline = offline_root()
    if mode == "raw":
        import duckdb

        con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")
        con.register("entity", entity)
        started = time.perf_counter()
        frame = con.sql(raw_sql(offline)).df()
    else:
        from feast import FeatureStore

        os.chdir(REPO)
        store = FeatureStore(repo_path=str(REPO), fs_yaml_file=repo_yaml(mode))
        features = all_features()
        started = time.perf_counter()
        frame = store.get_historical_features(entity_df=entity, features=features).to_df()
    elapsed = time.perf_counter() - started
    result: dict[str, Any] = {
        "seconds": elapsed,
        "peak_rss_mb": peak_rss_mb(),
        "rows": len(frame),
        "columns": frame.shape[1],
    }
    if mode in ("raw", "platform") and rows == 10_000:
        sample = frame.sort_values(["symbol", "event_timestamp"]).reset_index(drop=True)
        sample.iloc[:, :].to_parquet(CACHE_DIR / f"retrieval_answer_{mode}.parquet")
    print(json.dumps(result))


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def run_child(
    mode: str, rows: int, *, time_limit: float | None = None, memory_limit_mb: float | None = None
) -> dict[str, Any]:
    """Run :func:`child` in a fresh process, stopping it at the limits (then ``capped``)."""
    command = [sys.executable, "-m", "bench.retrieval", "--child", mode, str(rows)]
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    peak, reason = 0.0, None
    while process.poll() is None:
        peak = max(peak, _rss_mb(process.pid))
        elapsed = time.perf_counter() - started
        if time_limit and elapsed > time_limit:
            reason = f"time limit {time_limit:.0f} s"
        elif memory_limit_mb and peak > memory_limit_mb:
            reason = f"memory limit {memory_limit_mb:,.0f} MB"
        if reason:
            process.kill()
            process.wait()
            return {
                "seconds": time.perf_counter() - started,
                "peak_rss_mb": peak,
                "capped": True,
                "cap_reason": reason,
            }
        time.sleep(0.1)
    out, err = process.communicate()
    if process.returncode != 0:
        if memory_limit_mb or time_limit:  # a stock failure (e.g. out of memory) is a cap too
            return {
                "seconds": time.perf_counter() - started,
                "peak_rss_mb": peak,
                "capped": True,
                "cap_reason": f"failed: {err.strip().splitlines()[-1]}",
            }
        raise RuntimeError(f"{mode} {rows} failed:\n{err[-3000:]}")
    return json.loads(out.strip().splitlines()[-1])


# ---------------------------------------------------------------- the benchmark


def prepare() -> None:
    """Data, entity frames and both registries, outside any timing."""
    from feast import FeatureStore

    offline = offline_root()
    for rows in SIZES.values():
        entity_frame(rows)
    cwd = os.getcwd()
    try:
        for kind in ("platform", "stock"):
            path = repo_yaml(kind)
            os.chdir(REPO)
            store = FeatureStore(repo_path=str(REPO), fs_yaml_file=path)
            store.apply(definitions(offline / "offline"))
    finally:
        os.chdir(cwd)


def answers_agree() -> bool:
    """The platform's 10k answer equals the raw ASOF answer wherever the TTL does not apply
    (raw has no TTL): same rows, same values or both NaN."""
    raw = pd.read_parquet(CACHE_DIR / "retrieval_answer_raw.parquet")
    ours = pd.read_parquet(CACHE_DIR / "retrieval_answer_platform.parquet")
    if list(raw.columns) != list(ours.columns) or len(raw) != len(ours):
        return False
    features = raw.columns[2:]
    a, b = raw[features].to_numpy(float), ours[features].to_numpy(float)
    differs = ~((a == b) | (np.isnan(a) & np.isnan(b)))
    # rows where the platform returned nulls for a whole view are TTL expiries
    expired = (
        np.isnan(b).all(axis=1) | np.isnan(b[:, :50]).all(axis=1) | np.isnan(b[:, 50:]).all(axis=1)
    )
    return bool(not differs[~expired].any())


def main() -> None:
    prepare()
    cases = []
    for case, rows in SIZES.items():
        repeats = REPEATS if rows < 1_000_000 else max(1, min(REPEATS, 2))
        raw = [run_child("raw", rows) for _ in range(repeats)]
        ours = [run_child("platform", rows) for _ in range(repeats)]
        stock = run_child("stock", rows, time_limit=STOCK_LIMIT_S, memory_limit_mb=STOCK_MEMORY_MB)
        value = median(r["seconds"] for r in ours)
        peak = max(r["peak_rss_mb"] for r in ours)
        ratio_goal, memory_goal = GOALS[case]
        cases.append(
            cost_case(
                case,
                baseline="raw_duckdb_asof",
                baseline_value=median(r["seconds"] for r in raw),
                value=value,
                peak_rss_mb=peak,
                goal=f"ratio <= {ratio_goal} and peak_rss_mb <= {memory_goal}",
                baseline_peak_rss_mb=round(max(r["peak_rss_mb"] for r in raw), 1),
                repeats=repeats,
                entity_rows=rows,
                features=200,
            )
        )
        cases.append(
            cost_case(
                case,
                baseline="stock_feast",
                baseline_value=stock["seconds"],
                value=value,
                peak_rss_mb=peak,
                goal="reference: stock Feast file offline store",
                baseline_peak_rss_mb=round(stock["peak_rss_mb"] or 0, 1),
                capped=bool(stock.get("capped", False)),
                **({"cap_reason": stock["cap_reason"]} if stock.get("cap_reason") else {}),
            )
        )
        print(json.dumps(cases[-2:], indent=1), flush=True)
    cases[0]["answers_match_raw_asof"] = answers_agree()
    path = write_result(
        "retrieval",
        versions=package_versions("feast", "duckdb", "pyarrow", "pandas"),
        setup={
            "symbols": SYMBOLS,
            "days": DAYS,
            "features": 200,
            "views": dict(VIEWS),
            "stock_limit_s": STOCK_LIMIT_S,
            "stock_memory_limit_mb": STOCK_MEMORY_MB,
            "cores": os.cpu_count(),
        },
        cases=cases,
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], int(sys.argv[3]))
    else:
        main()
