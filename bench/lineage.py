"""Lineage benchmark: trace latency, the cost of lineage on the jobs, audit verification.

Cases (``bench/results/lineage.json``):

- ``trace_p95``: 1,000 random online values (a random materialized view, feature and
  symbol: bar, fundamentals and sentiment views alike) traced to vendor file lines; p95
  milliseconds per trace in a warm process (store and tracer opened once). Every trace must
  resolve to vendor file lines with the file's sha256 (``all_resolved``), per view in
  ``resolved_by_view``.
- ``transform_overhead``: wall seconds of the job with lineage on (events, audit entries,
  row provenance) against the same job with ``AXIOM_LINEAGE=off``, each pipeline (import of
  bars, filings and headlines; transform; apply; materialize) in a fresh process and a fresh
  repository, on and off interleaved (alternating which goes first); medians over
  ``BENCH_REPEATS``. CPU seconds of the job (its process and the worker processes it waited
  for) are reported beside them (``cpu_value``, ``cpu_ratio``...).
- ``ingest_overhead``: the import of every vendor file (bars, filings, headlines), each run
  into a fresh repository, repeated ``BENCH_INGEST_REPEATS`` times each way in one process,
  on and off interleaved ABBA after one unmeasured run of each; medians of wall and CPU
  seconds, and the median of the ratios of each on/off pair (``paired_ratio``), which a
  machine whose speed drifts over minutes disturbs least. The pipelines' own import timings
  are kept (``pipeline_runs_on``...).
- ``materialize_overhead``: the materialization job (every view of the pipeline, the whole
  history) repeated ``BENCH_MATERIALIZE_REPEATS`` times each way in one process on one
  repository, on and off interleaved ABBA after one unmeasured run of each; medians of wall
  and CPU seconds, and ``paired_ratio`` as for the import. The process has applied the
  definitions first, as the pipeline does, so the OpenLineage client is already imported
  when Feast's integration first emits; the CPU seconds that import costs a process that
  starts with a materialization are measured apart (``client_import_cpu_seconds``). The
  pipelines' own materialize timings are kept (``pipeline_runs_on``...).
- ``audit_verify_1m``: seconds to verify a 1,000,000-entry audit log.

Size: ``BENCH_SYMBOLS`` × ``BENCH_DAYS`` (default 500 × 2,520) vendor CSV files of bars, one
per 50 symbols, and per 50 symbols one of quarterly filings and one of headlines (0.5 a
calendar day); views ``ta_momentum`` (73 TA-Lib features), ``fundamentals_profitability``,
``fundamentals_meta``, ``sentiment_daily`` and ``sentiment_trend``.
"""

from __future__ import annotations

import os
import random
import resource
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import (
    CACHE_DIR,
    cost_case,
    isolated,
    median,
    package_versions,
    peak_rss_mb,
    write_result,
)

SYMBOLS = int(os.environ.get("BENCH_SYMBOLS", "500"))
DAYS = int(os.environ.get("BENCH_DAYS", "2520"))
REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))
MATERIALIZE_REPEATS = int(os.environ.get("BENCH_MATERIALIZE_REPEATS", "6"))
INGEST_REPEATS = int(os.environ.get("BENCH_INGEST_REPEATS", "6"))
TRACES = int(os.environ.get("BENCH_TRACES", "1000"))
AUDIT_ENTRIES = int(os.environ.get("BENCH_AUDIT_ENTRIES", "1000000"))
VIEWS = [
    "ta_momentum",
    "fundamentals_profitability",
    "fundamentals_meta",
    "sentiment_daily",
    "sentiment_trend",
]
KEYS = ("symbol", "event_timestamp", "created_timestamp")
PER_FILE = 50
START = datetime(2000, 1, 1, tzinfo=UTC)


def _vendor_csv(frame: Any, path: Path) -> None:
    frame.drop(columns=["created_timestamp", "source"]).to_csv(path, index=False)


def vendor_files() -> dict[str, list[Path]]:
    """Cached vendor CSVs per lake: ``bars`` (``symbol,event_timestamp,open,...``),
    ``fundamentals`` (filings) and ``news`` (headlines), one file per 50 symbols each."""
    from datetime import timedelta

    import pandas as pd

    from axiom_features.synthetic.bars import generate_bars, symbol_names
    from axiom_features.synthetic.fundamentals import generate_fundamentals
    from axiom_features.synthetic.news import generate_news

    folder = CACHE_DIR / f"lineage_vendor_{SYMBOLS}x{DAYS}_v2"
    done = folder / ".complete"
    if not done.exists():
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        names = symbol_names(SYMBOLS)
        for k in range(0, SYMBOLS, PER_FILE):
            bars = generate_bars(names[k : k + PER_FILE], DAYS, seed=11)
            chosen = sorted(bars["symbol"].unique())
            sessions = pd.DatetimeIndex(bars["event_timestamp"].drop_duplicates().sort_values())
            filings = generate_fundamentals(
                chosen, start=sessions[0] - timedelta(days=550), end=sessions[-1], seed=11
            )
            news = generate_news(chosen, sessions, seed=11, bars=bars)
            _vendor_csv(bars, folder / f"vendor_{k // PER_FILE:03d}.csv")
            _vendor_csv(filings, folder / f"filings_{k // PER_FILE:03d}.csv")
            _vendor_csv(news, folder / f"headlines_{k // PER_FILE:03d}.csv")
        done.touch()
    return {
        "bars": sorted(folder.glob("vendor_*.csv")),
        "fundamentals": sorted(folder.glob("filings_*.csv")),
        "news": sorted(folder.glob("headlines_*.csv")),
    }


def new_repo(name: str) -> Path:
    from tests.conftest import copy_feature_repo

    root = CACHE_DIR / "lineage_repos" / name
    shutil.rmtree(root, ignore_errors=True)
    return copy_feature_repo(root, project=f"bl_{name}")


def cpu_seconds() -> float:
    """User and system CPU seconds of this process and of the children it waited for."""
    own, children = (resource.getrusage(who) for who in (resource.RUSAGE_SELF,
                                                          resource.RUSAGE_CHILDREN))  # fmt: skip
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def ingest_all(repo: Path, files: dict[str, list[str]]) -> None:
    """Import every vendor file of the three lakes into ``repo``."""
    from axiom_features.pipeline import jobs

    jobs.ingest_files(repo, [Path(f) for f in files["bars"]])
    for f in files["fundamentals"]:
        jobs.ingest_fundamentals(repo, Path(f))
    for f in files["news"]:
        jobs.ingest_news(repo, Path(f))


def pipeline(root: str, files: dict[str, list[str]], lineage: bool) -> dict[str, float]:
    """Ingest, transform, apply and materialize in this fresh process; per job, CPU seconds
    (``<job>``) and wall seconds (``<job>_wall``)."""
    os.environ["AXIOM_LINEAGE"] = "on" if lineage else "off"
    from axiom_features.pipeline import jobs

    repo = Path(root)
    steps = {
        "ingest": lambda: ingest_all(repo, files),
        "transform": lambda: jobs.transform(repo, views=VIEWS),
        "apply": lambda: jobs.apply(repo),
        "materialize": lambda: jobs.materialize(repo, START, datetime.now(UTC), views=VIEWS),
    }
    timings = {}
    for job, step in steps.items():
        cpu, wall = cpu_seconds(), time.perf_counter()
        step()
        timings[job], timings[f"{job}_wall"] = cpu_seconds() - cpu, time.perf_counter() - wall
    timings["peak_rss_mb"] = peak_rss_mb(children=True)
    return timings


def traces(root: str, count: int, seed: int) -> dict[str, Any]:
    """Trace ``count`` random online values; milliseconds each and whether all resolved."""
    import pyarrow.parquet as pq

    from axiom_features.feature_store import open_store
    from axiom_features.lineage.lookup import trace_value
    from axiom_features.lineage.trace import Tracer

    repo = Path(root)
    store = open_store(repo)
    tracer = Tracer(repo)
    symbols, features = {}, {}
    for view in VIEWS:
        folder = repo / "data" / "offline" / view
        symbols[view] = sorted(p.stem for p in folder.glob("*.parquet"))
        names = pq.read_schema(folder / f"{symbols[view][0]}.parquet").names
        features[view] = [n for n in names if n not in KEYS]
    rng = random.Random(seed)
    first = VIEWS[0]
    trace_value(repo, f"{first}:{features[first][0]}", symbols[first][0], online=True,
                tracer=tracer, store=store)  # fmt: skip
    millis, resolved = [], 0
    by_view: dict[str, list[int]] = {view: [0, 0] for view in VIEWS}
    for _ in range(count):
        view = rng.choice(VIEWS)
        target = f"{view}:{rng.choice(features[view])}"
        started = time.perf_counter()
        found = trace_value(repo, target, rng.choice(symbols[view]), online=True, tracer=tracer,
                            store=store)  # fmt: skip
        millis.append((time.perf_counter() - started) * 1000)
        resolved += found.resolved_to_files
        by_view[view][0] += 1
        by_view[view][1] += found.resolved_to_files
    millis.sort()
    return {
        "p50": statistics.median(millis),
        "p95": millis[int(0.95 * (len(millis) - 1))],
        "p99": millis[int(0.99 * (len(millis) - 1))],
        "resolved": resolved,
        "by_view": {view: {"traces": n, "resolved": ok} for view, (n, ok) in by_view.items()},
        "peak_rss_mb": peak_rss_mb(),
    }


def interleaved(
    run: Callable[[bool], tuple[float, float]], repeats: int, job: str
) -> dict[str, list[float]]:
    """``run`` (lineage on or off → wall and CPU seconds) ``repeats`` times each way, on and
    off interleaved ABBA after one unmeasured run of each (``on``, ``off``, ``on_cpu``,
    ``off_cpu``)."""
    run(False), run(True)
    out: dict[str, list[float]] = {"on": [], "off": [], "on_cpu": [], "off_cpu": []}
    for r in range(repeats):
        for lineage in (True, False) if r % 2 == 0 else (False, True):
            wall, cpu = run(lineage)
            key = "on" if lineage else "off"
            out[key].append(wall)
            out[f"{key}_cpu"].append(cpu)
            print(f"{job} {r} lineage={key}: {wall:.3f} s wall, {cpu:.3f} s CPU", flush=True)
    return out


def materialize_repeats(root: str, repeats: int) -> dict[str, list[float]]:
    """The materialization job of ``VIEWS`` run ``repeats`` times each way in this process,
    lineage on and off interleaved ABBA after one unmeasured run of each; wall and CPU
    seconds per run (``on``, ``off``, ``on_cpu``, ``off_cpu``)."""
    from axiom_features.pipeline import jobs

    repo = Path(root)
    os.environ["AXIOM_LINEAGE"] = "on"
    jobs.apply(repo)

    def run(lineage: bool) -> tuple[float, float]:
        os.environ["AXIOM_LINEAGE"] = "on" if lineage else "off"
        cpu, wall = cpu_seconds(), time.perf_counter()
        jobs.materialize(repo, START, datetime.now(UTC), views=VIEWS)
        return time.perf_counter() - wall, cpu_seconds() - cpu

    out = interleaved(run, repeats, "materialize")
    out["peak_rss_mb"] = [peak_rss_mb(children=True)]
    return out


def ingest_repeats(files: dict[str, list[str]], repeats: int) -> dict[str, list[float]]:
    """The import of every vendor file run ``repeats`` times each way in this process, each
    into a fresh repository, lineage on and off interleaved ABBA after one unmeasured run of
    each; wall and CPU seconds per run (``on``, ``off``, ``on_cpu``, ``off_cpu``)."""

    def run(lineage: bool) -> tuple[float, float]:
        os.environ["AXIOM_LINEAGE"] = "on" if lineage else "off"
        repo = new_repo(f"ingest_{'on' if lineage else 'off'}")
        try:
            cpu, wall = cpu_seconds(), time.perf_counter()
            ingest_all(repo, files)
            return time.perf_counter() - wall, cpu_seconds() - cpu
        finally:
            shutil.rmtree(repo, ignore_errors=True)

    return interleaved(run, repeats, "ingest")


def client_import_cpu() -> float:
    """CPU seconds Feast's OpenLineage integration takes to import in a process that has
    Feast loaded already (what a process starting with a materialization pays once)."""
    import feast.feature_store  # noqa: F401 - loaded first, not measured

    started = time.process_time()
    import feast.openlineage  # noqa: F401

    return time.process_time() - started


def audit_verify(entries: int) -> dict[str, float]:
    """Write an ``entries``-long audit log (in batches) and time its verification."""
    from axiom_features.audit.entries import Action
    from axiom_features.audit.log import AuditLog

    folder = Path(tempfile.mkdtemp(prefix="audit_bench_", dir=CACHE_DIR))
    try:
        log = AuditLog(folder)
        batch = 100_000
        for start in range(0, entries, batch):
            log.append(
                [
                    Action(command="materialize", actor="bench", time="2026-11-30T00:00:00+00:00",
                           outputs=[{"name": f"online:view_{i % 21}"}], details={"run": i})
                    for i in range(start, min(entries, start + batch))
                ]
            )  # fmt: skip
        started = time.perf_counter()
        verdict = log.verify()
        seconds = time.perf_counter() - started
        return {
            "seconds": seconds,
            "ok": verdict.ok,
            "entries": verdict.entries,
            "bytes": log.store.log_path.stat().st_size,
            "peak_rss_mb": peak_rss_mb(),
        }
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    load = os.getloadavg()
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    files = {lake: [str(p) for p in paths] for lake, paths in vendor_files().items()}
    runs: dict[bool, list[dict[str, float]]] = {True: [], False: []}
    last_on = None
    for r in range(REPEATS):
        order = (True, False) if r % 2 == 0 else (False, True)
        for lineage in order:
            root = new_repo(f"{'on' if lineage else 'off'}_{r}")
            result = isolated(pipeline, str(root), files, lineage)
            runs[lineage].append(result)
            print(f"run {r} lineage={'on' if lineage else 'off'}: {result}", flush=True)
            if not lineage:
                shutil.rmtree(root, ignore_errors=True)
                continue
            if last_on is not None:
                shutil.rmtree(last_on, ignore_errors=True)
            last_on = root
    ingested = isolated(ingest_repeats, files, INGEST_REPEATS)
    repeated = isolated(materialize_repeats, str(last_on), MATERIALIZE_REPEATS)
    imports = [isolated(client_import_cpu) for _ in range(3)]
    print(f"client import CPU seconds: {imports}", flush=True)
    traced = isolated(traces, str(last_on), TRACES, 7)
    print(f"traces: {traced}", flush=True)
    verified = isolated(audit_verify, AUDIT_ENTRIES)
    print(f"audit: {verified}", flush=True)
    print(write(files, load, runs, ingested, repeated, imports, traced, verified))


def repeated_case(
    job: str,
    measured: dict[str, list[float]],
    repeats: int,
    runs: dict[bool, list[dict[str, float]]],
    *,
    peak_rss_mb: float,
    **extra: Any,
) -> dict[str, Any]:
    """The ``<job>_overhead`` case of a job repeated each way in one process (``measured``:
    what :func:`interleaved` returns), with the paired ratios and the pipelines' own
    timings of that job (``runs``)."""
    cpu_on, cpu_off = median(measured["on_cpu"]), median(measured["off_cpu"])
    pairs = zip(measured["on"], measured["off"], strict=True)
    return cost_case(
        f"{job}_overhead",
        metric="seconds",
        baseline="same job, AXIOM_LINEAGE=off",
        baseline_value=median(measured["off"]),
        value=median(measured["on"]),
        peak_rss_mb=peak_rss_mb,
        goal="ratio <= 1.05",
        repeats=repeats,
        paired_ratio=round(median(on / off for on, off in pairs), 3),
        runs_on=[round(v, 3) for v in measured["on"]],
        runs_off=[round(v, 3) for v in measured["off"]],
        cpu_value=round(cpu_on, 3),
        cpu_baseline_value=round(cpu_off, 3),
        cpu_ratio=round(cpu_on / cpu_off, 3),
        cpu_runs_on=[round(v, 3) for v in measured["on_cpu"]],
        cpu_runs_off=[round(v, 3) for v in measured["off_cpu"]],
        **extra,
        pipeline_runs_on=[round(r[f"{job}_wall"], 3) for r in runs[True]],
        pipeline_runs_off=[round(r[f"{job}_wall"], 3) for r in runs[False]],
        pipeline_cpu_runs_on=[round(r[job], 3) for r in runs[True]],
        pipeline_cpu_runs_off=[round(r[job], 3) for r in runs[False]],
    )


def write(
    files: dict[str, list[str]],
    load: tuple[float, float, float],
    runs: dict[bool, list[dict[str, float]]],
    ingested: dict[str, list[float]],
    repeated: dict[str, list[float]],
    imports: list[float],
    traced: dict[str, Any],
    verified: dict[str, float],
    **setup: Any,
) -> Path:
    """Write ``bench/results/lineage.json`` from the measurements (``setup``: extra facts)."""
    cases = [
        {
            "case": "trace_p95",
            "metric": "milliseconds",
            "value": round(traced["p95"], 2),
            "p50": round(traced["p50"], 2),
            "p99": round(traced["p99"], 2),
            "traces": TRACES,
            "all_resolved": traced["resolved"] == TRACES,
            "resolved": traced["resolved"],
            "resolved_by_view": traced["by_view"],
            "peak_rss_mb": round(traced["peak_rss_mb"], 1),
            "goal": "value <= 200 and all_resolved",
        }
    ]
    cases.append(
        repeated_case(
            "ingest",
            ingested,
            INGEST_REPEATS,
            runs,
            peak_rss_mb=max(r["peak_rss_mb"] for r in runs[True]),
        )
    )
    job = "transform"
    wall_on = median(r[f"{job}_wall"] for r in runs[True])
    wall_off = median(r[f"{job}_wall"] for r in runs[False])
    cpu_on = median(r[job] for r in runs[True])
    cpu_off = median(r[job] for r in runs[False])
    cases.append(
        cost_case(
            f"{job}_overhead",
            metric="seconds",
            baseline="same job, AXIOM_LINEAGE=off",
            baseline_value=wall_off,
            value=wall_on,
            peak_rss_mb=max(r["peak_rss_mb"] for r in runs[True]),
            goal="ratio <= 1.05",
            runs_on=[round(r[f"{job}_wall"], 3) for r in runs[True]],
            runs_off=[round(r[f"{job}_wall"], 3) for r in runs[False]],
            cpu_value=round(cpu_on, 3),
            cpu_baseline_value=round(cpu_off, 3),
            cpu_ratio=round(cpu_on / cpu_off, 3),
            cpu_runs_on=[round(r[job], 3) for r in runs[True]],
            cpu_runs_off=[round(r[job], 3) for r in runs[False]],
        )
    )
    cases.append(
        repeated_case(
            "materialize",
            repeated,
            MATERIALIZE_REPEATS,
            runs,
            peak_rss_mb=repeated["peak_rss_mb"][0],
            client_import_cpu_seconds=round(median(imports), 3),
        )
    )
    cases.append(
        {
            "case": "audit_verify_1m",
            "metric": "seconds",
            "value": round(verified["seconds"], 3),
            "entries": verified["entries"],
            "intact": verified["ok"],
            "log_bytes": verified["bytes"],
            "peak_rss_mb": round(verified["peak_rss_mb"], 1),
            "goal": "value <= 30",
        }
    )
    return write_result(
        "lineage",
        versions=package_versions("feast", "openlineage-python", "cryptography", "pyarrow"),
        setup={
            "symbols": SYMBOLS,
            "days": DAYS,
            "rows": SYMBOLS * DAYS,
            "vendor_files": {lake: len(paths) for lake, paths in files.items()},
            "views": VIEWS,
            "repeats": REPEATS,
            "materialize_repeats": MATERIALIZE_REPEATS,
            "ingest_repeats": INGEST_REPEATS,
            "interleaved": True,
            "load_average_at_start": [round(x, 2) for x in load],
            "cores": os.cpu_count(),
            **setup,
        },
        cases=cases,
    )


if __name__ == "__main__":
    main()
