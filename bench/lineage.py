"""Lineage benchmark: trace latency, the cost of lineage on the jobs, audit verification.

Cases (``bench/results/lineage.json``):

- ``trace_p95``: 1,000 random online values (a random materialized view, feature and
  symbol: bar, fundamentals and sentiment views alike) traced to vendor file lines; p95
  milliseconds per trace in a warm process (store and tracer opened once). Every trace must
  resolve to vendor file lines with the file's sha256 (``all_resolved``), per view in
  ``resolved_by_view``.
- ``ingest_overhead``, ``transform_overhead``, ``materialize_overhead``: wall seconds of
  each job with lineage on (events, audit entries, row provenance) against the same job with
  ``AXIOM_LINEAGE=off``, in one process (after a warm-up chain of both on one vendor file
  per lake), into two fresh repositories per repeat, ``BENCH_REPEATS`` times. Each job is
  cut into units, and every unit runs on the lineage-on repository and the lineage-off one
  back to back, which goes first alternating from unit to unit, so that a machine whose
  speed drifts over minutes slows both sides alike. Units: the import of one vendor file
  (bars, filings, headlines); the transform of one view; the materialization of one view's
  whole history (``BENCH_MATERIALIZE_ROUNDS`` rounds over the views). Every unit is a run
  of its own, so the run-level lineage work (events, audit entry) is paid per unit: more
  often than by the whole job. ``value`` and ``baseline_value`` are the means over the
  repeats of the job's total; ``paired_ratio`` the median of the repeats' ratios; CPU
  seconds (this process and the children it waited for) beside them (``cpu_value``...);
  ``unit_ratio_range`` the spread of the last repeat's unit ratios. The CPU seconds that
  importing the OpenLineage client costs a process that starts with a materialization are
  measured apart (``client_import_cpu_seconds``).
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
MATERIALIZE_ROUNDS = int(os.environ.get("BENCH_MATERIALIZE_ROUNDS", "3"))
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


Unit = tuple[str, Callable[[Path], None]]
"""One piece of a job: its name and what it does to a repository."""

JOBS = ("ingest", "transform", "materialize")


def job_units(files: dict[str, list[str]], materialize_rounds: int) -> dict[str, list[Unit]]:
    """Each job of the pipeline cut into the pieces that are timed in on/off pairs: the import
    of one vendor file, the transform of one view, the materialization of one view (every
    view ``materialize_rounds`` times; each is the whole history again)."""
    from axiom_features.pipeline import jobs

    ingest: list[Unit] = [
        (Path(f).name, lambda repo, f=f: jobs.ingest_files(repo, [Path(f)])) for f in files["bars"]
    ]
    ingest += [
        (Path(f).name, lambda repo, f=f: jobs.ingest_fundamentals(repo, Path(f)))
        for f in files["fundamentals"]
    ]
    ingest += [
        (Path(f).name, lambda repo, f=f: jobs.ingest_news(repo, Path(f))) for f in files["news"]
    ]
    transform: list[Unit] = [
        (view, lambda repo, v=view: jobs.transform(repo, views=[v])) for view in VIEWS
    ]
    materialize: list[Unit] = [
        (view, lambda repo, v=view: jobs.materialize(repo, START, datetime.now(UTC), views=[v]))
        for _ in range(materialize_rounds)
        for view in VIEWS
    ]
    return {"ingest": ingest, "transform": transform, "materialize": materialize}


def timed(unit: Callable[[Path], None], repo: Path, lineage: bool) -> tuple[float, float]:
    """Wall and CPU seconds of ``unit`` on ``repo`` with lineage on or off."""
    os.environ["AXIOM_LINEAGE"] = "on" if lineage else "off"
    cpu, wall = cpu_seconds(), time.perf_counter()
    unit(repo)
    return time.perf_counter() - wall, cpu_seconds() - cpu


def paired_chain(
    repos: dict[bool, Path], units: dict[str, list[Unit]], first_on: bool
) -> dict[str, dict[str, list[float]]]:
    """Run every job's units on both repositories (lineage on for ``repos[True]``, off for
    ``repos[False]``), each unit on one right after the other, which goes first alternating
    from unit to unit; apply between transform and materialize. Per job, the units' wall and
    CPU seconds (``on``, ``off``, ``on_cpu``, ``off_cpu``)."""
    from axiom_features.pipeline import jobs

    out: dict[str, dict[str, list[float]]] = {}
    on_first = first_on
    for job in JOBS:
        if job == "materialize":
            for lineage, repo in repos.items():
                os.environ["AXIOM_LINEAGE"] = "on" if lineage else "off"
                jobs.apply(repo)
        times: dict[str, list[float]] = {"on": [], "off": [], "on_cpu": [], "off_cpu": []}
        for name, unit in units[job]:
            for lineage in (True, False) if on_first else (False, True):
                wall, cpu = timed(unit, repos[lineage], lineage)
                key = "on" if lineage else "off"
                times[key].append(wall)
                times[f"{key}_cpu"].append(cpu)
            on_first = not on_first
            print(f"{job} {name}: on {times['on'][-1]:.3f} s, off {times['off'][-1]:.3f} s",
                  flush=True)  # fmt: skip
        out[job] = times
    return out


def overheads(files: dict[str, list[str]], repeats: int, materialize_rounds: int) -> dict[str, Any]:
    """The lineage overhead of each job, measured in this process: a warm-up chain on the
    first vendor file of each lake, then ``repeats`` chains on every file, each into a fresh
    pair of repositories. Per job, the per-repeat totals of wall and CPU seconds (``on``,
    ``off``, ``on_cpu``, ``off_cpu``) and the units' pairs of the last repeat (``units``);
    ``repo`` is the lineage-on repository of the last repeat (kept for the traces)."""
    first = {lake: paths[:1] for lake, paths in files.items()}
    warm = {flag: new_repo(f"warm_{'on' if flag else 'off'}") for flag in (True, False)}
    paired_chain(warm, job_units(first, 1), first_on=True)
    for repo in warm.values():
        shutil.rmtree(repo, ignore_errors=True)
    totals: dict[str, dict[str, list[float]]] = {
        job: {"on": [], "off": [], "on_cpu": [], "off_cpu": []} for job in JOBS
    }
    last: dict[str, dict[str, list[float]]] = {}
    repos: dict[bool, Path] = {}
    for r in range(repeats):
        for repo in repos.values():
            shutil.rmtree(repo, ignore_errors=True)
        repos = {flag: new_repo(f"{'on' if flag else 'off'}_{r}") for flag in (True, False)}
        last = paired_chain(repos, job_units(files, materialize_rounds), first_on=r % 2 == 0)
        for job, times in last.items():
            for key, values in times.items():
                totals[job][key].append(sum(values))
        print(f"repeat {r}: " + ", ".join(
            f"{job} {totals[job]['on'][-1] / totals[job]['off'][-1]:.3f}" for job in JOBS
        ), flush=True)  # fmt: skip
    shutil.rmtree(repos[False], ignore_errors=True)
    return {
        "totals": totals,
        "units": last,
        "repo": str(repos[True]),
        "peak_rss_mb": peak_rss_mb(children=True),
    }


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
    measured = isolated(overheads, files, REPEATS, MATERIALIZE_ROUNDS)
    imports = [isolated(client_import_cpu) for _ in range(3)]
    print(f"client import CPU seconds: {imports}", flush=True)
    traced = isolated(traces, measured["repo"], TRACES, 7)
    print(f"traces: {traced}", flush=True)
    verified = isolated(audit_verify, AUDIT_ENTRIES)
    print(f"audit: {verified}", flush=True)
    print(write(files, load, measured, imports, traced, verified))


def overhead_case(job: str, measured: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """The ``<job>_overhead`` case: means over the repeats of the job's total seconds with
    lineage on and off (every unit timed next to its twin), the median of the repeats'
    ratios, CPU seconds beside, and the spread of the last repeat's unit ratios."""
    totals, units = measured["totals"][job], measured["units"][job]
    unit_ratios = [on / off for on, off in zip(units["on"], units["off"], strict=True)]
    repeat_ratios = [on / off for on, off in zip(totals["on"], totals["off"], strict=True)]
    cpu_on, cpu_off = statistics.mean(totals["on_cpu"]), statistics.mean(totals["off_cpu"])
    return cost_case(
        f"{job}_overhead",
        metric="seconds",
        baseline="same job, AXIOM_LINEAGE=off",
        baseline_value=statistics.mean(totals["off"]),
        value=statistics.mean(totals["on"]),
        peak_rss_mb=measured["peak_rss_mb"],
        goal="ratio <= 1.05",
        repeats=len(totals["on"]),
        units=len(unit_ratios),
        paired_ratio=round(median(repeat_ratios), 3),
        runs_on=[round(v, 3) for v in totals["on"]],
        runs_off=[round(v, 3) for v in totals["off"]],
        unit_ratio_range=[round(min(unit_ratios), 3), round(max(unit_ratios), 3)],
        cpu_value=round(cpu_on, 3),
        cpu_baseline_value=round(cpu_off, 3),
        cpu_ratio=round(cpu_on / cpu_off, 3),
        cpu_runs_on=[round(v, 3) for v in totals["on_cpu"]],
        cpu_runs_off=[round(v, 3) for v in totals["off_cpu"]],
        **extra,
    )


def write(
    files: dict[str, list[str]],
    load: tuple[float, float, float],
    measured: dict[str, Any],
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
        },
        overhead_case("ingest", measured),
        overhead_case("transform", measured),
        overhead_case(
            "materialize",
            measured,
            rounds=MATERIALIZE_ROUNDS,
            client_import_cpu_seconds=round(median(imports), 3),
        ),
        {
            "case": "audit_verify_1m",
            "metric": "seconds",
            "value": round(verified["seconds"], 3),
            "entries": verified["entries"],
            "intact": verified["ok"],
            "log_bytes": verified["bytes"],
            "peak_rss_mb": round(verified["peak_rss_mb"], 1),
            "goal": "value <= 30",
        },
    ]
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
            "materialize_rounds": MATERIALIZE_ROUNDS,
            "paired_units": True,
            "load_average_at_start": [round(x, 2) for x in load],
            "cores": os.cpu_count(),
            **setup,
        },
        cases=cases,
    )


if __name__ == "__main__":
    main()
