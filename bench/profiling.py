"""Benchmark: whylogs profiling of a 1.26M-row x 202-feature frame, stock vs platform.

- Baseline (``stock_whylogs``): ``why.log(df).view()``, whylogs 1.6.4 as shipped.
- ``profile_…``: ``monitoring.profiling.profile_frame(df, workers=2)`` (two processes, the
  machine's cores); ``…_one_worker``: the same in one process.

Data: float64 features, 500 "symbols" x 2,520 days stacked (``BENCH_ROWS`` rows, default
1,260,000), each column with its own scale, a NaN warm-up at the start of every symbol and,
in every tenth column, a few ±inf. Cached under ``bench/.cache/``.

Each measurement runs in a fresh process (its own peak RSS); loading is outside timings.
Platform timings are medians of ``BENCH_REPEATS`` runs (default 3); stock runs once.
Stock whylogs costs a Python call per value, so its time is linear in rows: it is timed on
a 2% probe first, and if the whole frame would take longer than ``BENCH_STOCK_LIMIT_S``
(default 240 s) it runs on the leading rows that fit and its full-size time is extrapolated
from them, marked ``"capped": true``.

Agreement: the stock and platform profiles of the same rows must match (counts, types and
min/max exactly, mean/stddev to 1e-9, quantiles within the KLL rank bound, cardinality within
HLL bounds: ``monitoring.profile_compare``), and the platform's full profile must match
NumPy's exact counts, min and max for every column.

Materialization overhead (``materialize_with_profiles``): the same materialization of the
two views of :mod:`bench.feature_tables` (500 symbols x 2,520 days, 50 + 150 float columns)
through the platform's engine into Redis, with the profile of the rows written (the
default) against ``profiling: false`` (baseline ``materialize_without_profiles``). Runs
alternate, each in a fresh process, ``BENCH_REPEATS`` of each; medians compared. The time
the engine spends in its profiling step is also reported (``profile_step_seconds``), since
on a busy machine run-to-run noise can exceed the step itself.

Materialization with drift checks (``materialize_with_profiles_and_drift``): the same
materialization with profiles and the drift check the engine runs after it (the default),
in a repo whose two views also have day profiles of 500 symbols x 270 sessions (as a
transform job stores them), against ``materialize_without_profiles``. The reference summary
of the check is prepared by the day profiling that moved it (``reference_prepare_seconds``,
paid by the transform), as every daily run does; ``first_check_ratio`` is the same run when
the check has to build the summary itself (cache cleared before each such run).

Offline day profiles (``offline_daily_profiles``, reference only): sketching every day of the
150-column view (1.26M rows, 2,520 days) as the transform job does, against reading that view's
table; the stored size is reported against the table's.

``BENCH_PARTS`` (default ``whylogs,materialize,drift,daily``) selects parts; cases of parts not run
are kept from the previous result file.

Run: ``python -m bench.profiling`` (or ``make bench-profiling``).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench.common import (
    CACHE_DIR,
    cost_case,
    isolated,
    median,
    package_versions,
    peak_rss_mb,
    seconds,
    write_result,
)

ROWS = int(os.environ.get("BENCH_ROWS", "1260000"))
COLUMNS = 202
DAYS = 2520
"""Rows per symbol: NaN warm-ups restart every ``DAYS`` rows."""
REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))
STOCK_LIMIT_S = float(os.environ.get("BENCH_STOCK_LIMIT_S", "240"))
WORKERS = 2
SEED = 202


def generate(rows: int, columns: int = COLUMNS, seed: int = SEED) -> np.ndarray:
    """A ``(rows, columns)`` column-major float64 array of feature-like values."""
    rng = np.random.default_rng(seed)
    data = np.empty((rows, columns), order="F")
    day = np.arange(rows) % DAYS
    for j in range(columns):
        column = data[:, j]
        column[:] = rng.standard_normal(rows)
        column *= rng.lognormal(0, 2)
        column += rng.normal(0, 50)
        column[day < rng.integers(0, 250)] = np.nan
        if j % 10 == 0:
            spots = rng.choice(rows, size=6, replace=False)
            column[spots] = [np.inf, np.inf, np.inf, -np.inf, -np.inf, np.nan]
    return data


def cached_data(rows: int = ROWS) -> Path:
    """The generated data's cache file (``.npy``), created on first use."""
    path = CACHE_DIR / f"profiling_{rows}x{COLUMNS}_seed{SEED}.npy"
    if not path.exists():
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npy")
        np.save(tmp, generate(rows))
        os.replace(tmp, path)
    return path


def load_frame(path: Path, rows: int | None = None) -> pd.DataFrame:
    """The cached array as a DataFrame (no copy: each column stays contiguous)."""
    data = np.load(path)
    frame = pd.DataFrame(data, columns=[f"f{j:03d}" for j in range(data.shape[1])], copy=False)
    return frame if rows is None else frame.iloc[:rows]


def measure_stock(path: Path, rows: int, out: Path) -> dict[str, Any]:
    """Stock ``why.log`` once on the leading ``rows`` rows; the profile goes to ``out``."""
    from monitoring.whylogs_compat import why

    frame = load_frame(path, rows)
    views = []
    with np.errstate(invalid="ignore"):  # stock averages the ±inf columns and NumPy says so
        elapsed = seconds(lambda: views.append(why.log(frame).view()))
    out.write_bytes(views[0].serialize())
    return {"seconds": elapsed, "peak_rss_mb": peak_rss_mb()}


def measure_platform(
    path: Path, rows: int | None, workers: int, repeats: int, out: Path
) -> dict[str, Any]:
    """``profile_frame`` ``repeats`` times; the last profile goes to ``out``."""
    from monitoring.profiling import profile_frame
    from monitoring.whylogs_compat import ProfileView

    frame = load_frame(path, rows)
    profile_frame(frame.iloc[:1000, :4], workers=workers)  # imports and pool start-up paths
    views: list[ProfileView] = []
    timings = [
        seconds(lambda: views.append(profile_frame(frame, workers=workers))) for _ in range(repeats)
    ]
    out.write_bytes(views[-1].serialize())
    return {
        "runs": timings,
        "peak_rss_mb": peak_rss_mb(children=workers > 1),
        "parent_peak_rss_mb": peak_rss_mb(),
        "data_mb": frame.memory_usage(index=False).sum() / 2**20,
        "exact_mismatches": exact_mismatches(frame, views[-1]),
    }


def exact_mismatches(frame: pd.DataFrame, view: Any) -> list[str]:
    """Columns whose profile counts, min or max differ from NumPy's exact figures."""
    problems = []
    for name in frame.columns:
        values = frame[name].to_numpy()
        nan = np.isnan(values)
        finite_or_inf = values[~nan]
        expected = {
            "counts/n": len(values),
            "counts/null": int(nan.sum()),
            "counts/nan": int(nan.sum()),
            "counts/inf": int(np.isinf(finite_or_inf).sum()),
            "distribution/n": len(finite_or_inf),
            "distribution/min": finite_or_inf.min(),
            "distribution/max": finite_or_inf.max(),
        }
        got = view.get_column(name).to_summary_dict()
        problems += [f"{name}: {k} {got[k]} != {v}" for k, v in expected.items() if got[k] != v]
    return problems


def _disagreements(stock_path: Path, platform_path: Path) -> list[str]:
    from monitoring.profile_compare import profile_differences
    from monitoring.whylogs_compat import ProfileView

    stock = ProfileView.deserialize(stock_path.read_bytes())
    platform = ProfileView.deserialize(platform_path.read_bytes())
    return profile_differences(stock, platform)


PARTS = set(os.environ.get("BENCH_PARTS", "whylogs,materialize,drift,daily").split(","))
REDIS_DB = 13
MATERIALIZE_GOAL = "ratio <= 1.15"


def _yaml_with_profiling(repo: Path, redis_url: str, profiling: bool) -> Path:
    from bench.feature_tables import write_yaml

    name = "profiles_on" if profiling else "profiles_off"
    path = write_yaml(repo, name, redis_url=redis_url, platform=True)
    text = path.read_text().replace(
        "batch_engine:\n",
        "batch_engine:\n  profiling: " + ("true" if profiling else "false") + "\n",
    )
    path.write_text(text)
    return path


def materialize_child(yaml: str, offline: str) -> None:
    """One timed materialization in this (fresh) process, also timing the engine's profiling
    step (profile + store + freshness record); prints a JSON result."""
    import json

    from axiom_features.materialize.engine import ProfilingComputeEngine
    from bench.feature_tables import VIEWS, open_applied
    from bench.materialize import END, START

    spent = [0.0]
    step = ProfilingComputeEngine._profile

    def timed(self: Any, *args: Any) -> None:
        started = time.perf_counter()
        step(self, *args)
        spent[0] += time.perf_counter() - started

    ProfilingComputeEngine._profile = timed  # type: ignore[method-assign]
    _bench_views_in_catalogue()
    path = Path(yaml)
    store = open_applied(path.parent, path, Path(offline))
    started = time.perf_counter()
    store.materialize(start_date=START, end_date=END, feature_views=list(VIEWS))
    elapsed = time.perf_counter() - started
    print(json.dumps({"seconds": elapsed, "peak_rss_mb": peak_rss_mb(), "profile_step": spent[0]}))


def _bench_views_in_catalogue() -> None:
    """The drift check judges the bench views' float columns as returns: the catalogue knows
    only the platform's own views, and a feature without a nature is not checked."""
    from axiom_features.ops import monitor
    from bench.feature_tables import VIEWS, feature_names

    catalogue_metadata = monitor.catalogue_metadata

    def with_bench_views() -> tuple[dict[str, dict[str, str]], dict[str, tuple[str, ...]]]:
        natures, inputs = catalogue_metadata()
        for view in VIEWS:
            natures[view] = {name: "return_like" for name in feature_names(view)}
            inputs.update({f"{view}:{name}": (name,) for name in feature_names(view)})
        return natures, inputs

    monitor.catalogue_metadata = with_bench_views


def run_materialize_child(yaml: Path, offline: Path) -> dict[str, Any]:
    import json
    import subprocess
    import sys

    command = [
        sys.executable,
        "-m",
        "bench.profiling",
        "--materialize-child",
        str(yaml),
        str(offline),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{yaml.name} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def materialize_cases() -> list[dict[str, Any]]:
    """The same materialization with and without profiles, alternating, fresh processes."""
    from bench.feature_tables import BenchRedis, offline_root

    run_child = run_materialize_child

    offline = offline_root() / "offline"
    repo = CACHE_DIR / "profiling_materialize_repo"
    (repo / "data").mkdir(parents=True, exist_ok=True)
    for old in (repo / "data").glob("*registry.db"):
        old.unlink()
    redis = BenchRedis()
    try:
        yamls = {on: _yaml_with_profiling(repo, redis.url(REDIS_DB), on) for on in (True, False)}
        runs: dict[bool, list[dict[str, Any]]] = {True: [], False: []}
        for i in range(REPEATS):
            for on in (False, True) if i % 2 == 0 else (True, False):
                redis.flush(REDIS_DB)
                runs[on].append(run_child(yamls[on], offline))
                print(f"  materialize profiles={on} run {i + 1}: {runs[on][-1]}", flush=True)
        profiles = len(list((repo / "data" / "profiles").glob("*/*.bin")))
    finally:
        redis.close()
    with_, without = (median(r["seconds"] for r in runs[on]) for on in (True, False))
    step = median(r["profile_step"] for r in runs[True])
    return [
        cost_case(
            "materialize_with_profiles",
            baseline="materialize_without_profiles",
            baseline_value=without,
            value=with_,
            peak_rss_mb=max(r["peak_rss_mb"] for r in runs[True]),
            goal=MATERIALIZE_GOAL,
            runs=[round(r["seconds"], 3) for r in runs[True]],
            baseline_runs=[round(r["seconds"], 3) for r in runs[False]],
            baseline_peak_rss_mb=max(r["peak_rss_mb"] for r in runs[False]),
            engine="axiom_features.materialize.fast_engine.FastComputeEngine, Redis online",
            profile_step_seconds=round(step, 4),
            profile_step_share=round(step / with_, 4),
            load_average=[round(x, 2) for x in os.getloadavg()],
            profiles_written=profiles,
        )
    ]


DRIFT_SYMBOLS = 500
DRIFT_SESSIONS = 270
"""Day profiles per view for the drift check: a reference of 12 chunks of 20 sessions and
the checked window."""


def _store_day_profiles(repo: Path) -> None:
    """Day profiles of both bench views, once per repo (kept under ``bench/.cache/``)."""
    from bench.feature_tables import VIEWS, feature_names
    from monitoring.daily_profiles import profile_days
    from monitoring.profile_store import ProfileStore

    done = repo / "data" / ".day_profiles_complete"
    if done.exists():
        return
    profiles = ProfileStore(repo / "data" / "profiles")
    rng = np.random.default_rng(SEED)
    sessions = pd.date_range("2025-01-01 21:00", periods=DRIFT_SESSIONS, freq="B", tz="UTC")
    for view in VIEWS:
        frame = pd.DataFrame(
            rng.standard_normal((DRIFT_SYMBOLS * len(sessions), VIEWS[view])),
            columns=feature_names(view),
        )
        frame.insert(0, "event_timestamp", np.tile(sessions, DRIFT_SYMBOLS))
        frame.insert(
            0, "symbol", np.repeat([f"S{i:03d}" for i in range(DRIFT_SYMBOLS)], len(sessions))
        )
        profiles.save_days(profile_days(frame), run_id="bench", feature_view=view)
    done.touch()


def drift_cases() -> list[dict[str, Any]]:
    """Materialization with profiles and the drift check after it, against no profiles;
    the check's reference prepared by the day profiling (warm) or built by the check (cold)."""
    import shutil

    from axiom_features.ops.monitor import monitoring_dir, prepare_references
    from bench.feature_tables import VIEWS, BenchRedis, offline_root

    offline = offline_root() / "offline"
    repo = CACHE_DIR / "profiling_drift_repo"
    (repo / "data").mkdir(parents=True, exist_ok=True)
    for old in (repo / "data").glob("*registry.db"):
        old.unlink()
    _store_day_profiles(repo)
    references = monitoring_dir(repo) / "references"
    redis = BenchRedis()
    runs: dict[str, list[dict[str, Any]]] = {"off": [], "warm": [], "cold": []}
    prepare: list[float] = []
    try:
        yamls = {on: _yaml_with_profiling(repo, redis.url(REDIS_DB), on) for on in (True, False)}
        for i in range(REPEATS):
            order = ("off", "warm", "cold") if i % 2 == 0 else ("cold", "warm", "off")
            for kind in order:
                shutil.rmtree(references, ignore_errors=True)
                if kind == "warm":  # what the day profiling of the transform does
                    started = time.perf_counter()
                    prepare_references(repo, list(VIEWS))
                    prepare.append(time.perf_counter() - started)
                redis.flush(REDIS_DB)
                runs[kind].append(run_materialize_child(yamls[kind != "off"], offline))
                print(f"  materialize drift={kind} run {i + 1}: {runs[kind][-1]}", flush=True)
    finally:
        redis.close()
    warm, cold, without = (median(r["seconds"] for r in runs[k]) for k in ("warm", "cold", "off"))
    return [
        cost_case(
            "materialize_with_profiles_and_drift",
            baseline="materialize_without_profiles",
            baseline_value=without,
            value=warm,
            peak_rss_mb=max(r["peak_rss_mb"] for r in runs["warm"]),
            goal=MATERIALIZE_GOAL,
            runs=[round(r["seconds"], 3) for r in runs["warm"]],
            baseline_runs=[round(r["seconds"], 3) for r in runs["off"]],
            engine="axiom_features.materialize.fast_engine.FastComputeEngine, Redis online",
            day_profiles=f"{DRIFT_SYMBOLS} symbols x {DRIFT_SESSIONS} sessions per view",
            reference_prepare_seconds=round(median(prepare), 4),
            first_check_seconds=round(cold, 4),
            first_check_ratio=round(cold / without, 3),
            first_check_runs=[round(r["seconds"], 3) for r in runs["cold"]],
            load_average=[round(x, 2) for x in os.getloadavg()],
        )
    ]


def daily_cases() -> list[dict[str, Any]]:
    """Day sketches of the 150-column view against reading its table."""
    import pyarrow.dataset as ds

    from bench.feature_tables import offline_root
    from monitoring.daily_profiles import profile_days

    folder = offline_root() / "offline" / "features_150"
    reads, sketches, sizes = [], [], []
    for _ in range(REPEATS):
        started = time.perf_counter()
        frame = ds.dataset(folder).to_table().to_pandas()
        reads.append(time.perf_counter() - started)
        frame = frame.drop(columns=["symbol", "created_timestamp"])
        started = time.perf_counter()
        days = profile_days(frame)
        sketches.append(time.perf_counter() - started)
        sizes.append(sum(len(sketch.serialize()) for sketch, _ in days.values()))
    table_bytes = sum(p.stat().st_size for p in folder.glob("*.parquet"))
    return [
        cost_case(
            "offline_daily_profiles",
            baseline="offline_table_read",
            baseline_value=median(reads),
            value=median(sketches),
            peak_rss_mb=peak_rss_mb(),
            goal="reference only",
            rows=len(frame),
            columns=frame.shape[1] - 1,
            days=len(days),
            stored_bytes=sizes[-1],
            table_bytes=table_bytes,
        )
    ]


def _previous_cases(names: set[str]) -> list[dict[str, Any]]:
    import json

    from bench.common import RESULTS_DIR

    path = RESULTS_DIR / "profiling.json"
    if not path.exists():
        return []
    previous = json.loads(path.read_text())
    return [
        {"when": previous["when"], **case} for case in previous["cases"] if case["case"] in names
    ]


def main() -> None:
    load = os.getloadavg()
    cases = (
        whylogs_cases()
        if "whylogs" in PARTS
        else _previous_cases(
            {
                f"profile_{ROWS / 1e6:g}m_x_{COLUMNS}",
                f"profile_{ROWS / 1e6:g}m_x_{COLUMNS}_one_worker",
            }
        )
    )
    print("materialization with and without profiles")
    cases += (
        materialize_cases()
        if "materialize" in PARTS
        else _previous_cases({"materialize_with_profiles"})
    )
    print("materialization with profiles and drift checks")
    cases += (
        drift_cases()
        if "drift" in PARTS
        else _previous_cases({"materialize_with_profiles_and_drift"})
    )
    print("offline day profiles")
    cases += daily_cases() if "daily" in PARTS else _previous_cases({"offline_daily_profiles"})
    out = write_result(
        "profiling",
        versions=package_versions("whylogs", "whylogs-sketching", "numpy", "pandas", "feast"),
        setup={
            "load_average": [round(x, 2) for x in load],
            "rows": ROWS,
            "columns": COLUMNS,
            "dtype": "float64 with NaN warm-ups and some ±inf",
            "repeats": REPEATS,
            "cpus": os.cpu_count(),
            "stock_limit_seconds": STOCK_LIMIT_S,
            "materialize": "bench.feature_tables: 500 symbols x 2,520 days, views of 50 and "
            "150 float columns, whole history materialized into Redis",
            "peak_rss_mb": "the measuring process, frame included; with workers, plus the "
            "largest worker's own peak, which counts the frame pages it shares with the "
            "parent (forked, copy-on-write, read only), so the sum overstates",
        },
        cases=cases,
    )
    for case in cases:
        print(
            f"  {case['case']:32} ratio {case['ratio']:6.3f}  peak {case['peak_rss_mb']:7.1f}"
            f" MB   goal: {case['goal']}"
        )
    print(f"wrote {out}")


def whylogs_cases() -> list[dict[str, Any]]:
    path = cached_data()
    label = f"profile_{ROWS / 1e6:g}m_x_{COLUMNS}"
    work = CACHE_DIR / "profiling_out"
    work.mkdir(parents=True, exist_ok=True)
    print(f"profiling benchmark: {ROWS:,} rows x {COLUMNS} float columns, {REPEATS} repeats")

    probe_rows = min(ROWS, max(ROWS // 50, 1000))
    probe = isolated(measure_stock, path, probe_rows, work / "probe.bin")
    estimate = probe["seconds"] * ROWS / probe_rows
    capped = estimate > STOCK_LIMIT_S
    stock_rows = int(ROWS * STOCK_LIMIT_S / estimate) if capped else ROWS
    print(
        f"  stock probe        {probe['seconds']:7.2f} s on {probe_rows:,} rows "
        f"-> {estimate:.0f} s estimated; running stock on {stock_rows:,} rows"
    )
    stock = isolated(measure_stock, path, stock_rows, work / "stock.bin")
    stock_seconds = stock["seconds"] * ROWS / stock_rows
    print(f"  stock why.log      {stock_seconds:7.2f} s" + ("  (extrapolated)" if capped else ""))

    platform = {}
    for workers in (WORKERS, 1):
        out = work / f"platform_{workers}.bin"
        platform[workers] = isolated(measure_platform, path, None, workers, REPEATS, out)
        print(f"  profile_frame x{workers}   {median(platform[workers]['runs']):7.2f} s")
    same_rows = work / f"platform_{WORKERS}.bin"
    if capped:
        same_rows = work / "platform_same_rows.bin"
        isolated(measure_platform, path, stock_rows, WORKERS, 1, same_rows)
    disagreements = _disagreements(work / "stock.bin", same_rows)
    exact = platform[WORKERS]["exact_mismatches"] + platform[1]["exact_mismatches"]
    print(
        f"  agreement with stock: {len(disagreements)} differences; "
        f"with NumPy exact counts/min/max: {len(exact)} differences"
    )

    stock_extra: dict[str, Any] = {"capped": capped}
    if capped:
        stock_extra |= {
            "baseline_rows_measured": stock_rows,
            "baseline_seconds_measured": round(stock["seconds"], 2),
            "cap_seconds": STOCK_LIMIT_S,
        }
    agreement = {
        "agrees_with_baseline": not disagreements,
        "disagreements": disagreements[:20],
        "exact_mismatches": exact[:20],
        "baseline_peak_rss_mb": round(stock["peak_rss_mb"], 1),
    }
    cases = [
        cost_case(
            label if workers == WORKERS else f"{label}_one_worker",
            baseline="stock_whylogs",
            baseline_value=stock_seconds,
            value=median(platform[workers]["runs"]),
            peak_rss_mb=platform[workers]["peak_rss_mb"],
            goal="ratio <= 0.1",
            workers=workers,
            runs=[round(v, 3) for v in platform[workers]["runs"]],
            parent_peak_rss_mb=round(platform[workers]["parent_peak_rss_mb"], 1),
            values_per_second=round(ROWS * COLUMNS / median(platform[workers]["runs"])),
            **stock_extra,
            **agreement,
        )
        for workers in (WORKERS, 1)
    ]
    return cases


if __name__ == "__main__":
    import sys

    if sys.argv[1:2] == ["--materialize-child"]:
        materialize_child(sys.argv[2], sys.argv[3])
    else:
        main()
