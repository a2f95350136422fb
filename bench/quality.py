"""Benchmark: fault-injection recall and false positives per kind, and the gate on a large table.

Faults (one case per kind, metrics ``recall`` and ``false_positive_rate``): clean synthetic
bars (``BENCH_QUALITY_SYMBOLS`` × ``BENCH_QUALITY_DAYS``, default 200 × 1,000) get
``BENCH_QUALITY_FAULTS`` faults (default 1,000) of one kind at known rows, are written as a
vendor CSV and imported through the whole ingest path (reader, normalisation, gate). A row
counts as detected when the kind's rule holds it back or its detector reports it (see
``bench/quality_faults.KINDS``). ``false_positive_rate`` = clean rows flagged by those same
rules / clean rows. Provider disagreement uses three synthetic providers, one of them off by
±3% on the faulty rows. Case ``clean_data``: rows held back or warned by any rule on the
uninjected data.

Large table (case ``large_table``, baseline ``stock_gx``): 25 range expectations from the
catalogue's feature suites over a ``BENCH_ROWS`` (default 1,260,000) × 202 feature frame with
NaN warm-ups and known violations. Stock: GX 1.x, one ephemeral context, the whole frame in
one batch, ``result_format=COMPLETE`` (the failing rows are what a gate needs). Platform:
:func:`axiom_features.quality.feature_rules.validate_table` with the DuckDB engine, the
same expectations. Each runs in its own process (own peak RSS); verdicts (success, count and
the failing rows of every expectation) must be identical. Platform time is the median of
``BENCH_REPEATS`` (default 3) runs; stock runs once.

Small file (case ``small_file_cpu``, metric seconds of CPU, user + system): ``axiom ingest``
of a 4-row CSV into a fresh repo, run as its own process, the median of ``BENCH_REPEATS``.
Baseline ``feast_and_gx_imports``: the same import in a process that imports Feast and runs
the gate with GX, as the command did before it imported only what it needs. Goal: ≤ 2 s.

Run: ``python -m bench.quality`` (or ``make bench-quality``). ``BENCH_QUALITY_CASES`` selects
case groups (comma-separated ``faults``, ``large_table``, ``small_file_cpu``; default all),
e.g. ``BENCH_QUALITY_CASES=small_file_cpu python -m bench.quality``; a partial run keeps the
other cases of the previous result file.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench.common import (
    CACHE_DIR,
    RESULTS_DIR,
    cost_case,
    isolated,
    median,
    package_versions,
    peak_rss_mb,
    write_result,
)
from bench.quality_faults import KINDS, Injection, spaced_rows, write_vendor_csv

SYMBOLS = int(os.environ.get("BENCH_QUALITY_SYMBOLS", "200"))
DAYS = int(os.environ.get("BENCH_QUALITY_DAYS", "1000"))
FAULTS = int(os.environ.get("BENCH_QUALITY_FAULTS", "1000"))
ROWS = int(os.environ.get("BENCH_ROWS", "1260000"))
REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))
COLUMNS = 202
EXPECTATIONS = 25
SEED = 4
NOW = pd.Timestamp("2026-06-30 22:00", tz="UTC")
GROUPS = ("faults", "large_table", "small_file_cpu")
SELECTED = [g.strip() for g in os.environ.get("BENCH_QUALITY_CASES", ",".join(GROUPS)).split(",")]
SMALL_FILE = (
    "symbol,date,open,high,low,close,volume\n"
    "AXM,2024-01-02,10,11,9,10.5,1000\nAXM,2024-01-03,10.5,11.5,10,11,1200\n"
    "BXM,2024-01-02,20,21,19,20.5,500\nBXM,2024-01-03,20.5,21.5,20,21,700\n"
)
AXIOM = "from axiom_features.cli.app import main; main()"
BEFORE = (
    "import sys, feast; from pathlib import Path;"
    " from axiom_features.ingest import QualityOptions; from axiom_features.pipeline import jobs;"
    " jobs.ingest_files(Path(sys.argv[1]), [Path(sys.argv[2])],"
    " quality=QualityOptions(engine='gx'))"
)


# ------------------------------------------------------------------ fault injection


def _flagged_lines(repo: Any, run_id: str, names: set[str]) -> set[int]:
    """Lines of the file whose row was held by, or reported under, one of ``names``."""
    from axiom_features.quality import read_quarantine
    from axiom_features.quality.store import read_findings

    held = read_quarantine(repo, run_id)
    lines = {
        int(line)
        for line, rules in zip(held["source_line"], held["failed_rules"], strict=True)
        if names & set(rules.split(";"))
    }
    findings = read_findings(repo, run_id)
    if len(findings):
        lines |= set(findings.loc[findings["detector"].isin(names), "source_line"].astype(int))
    return lines


def _import(injection: Injection, work: Path, name: str) -> tuple[Any, str]:
    from axiom_features.ingest import QualityOptions, import_bars
    from axiom_features.paths import RepoPaths

    repo = RepoPaths(work / name)
    path = work / f"{name}.csv"
    write_vendor_csv(injection, path)
    import_bars(path, repo, run_id=name, quality=QualityOptions(now=NOW.to_pydatetime()))
    return repo, name


def _rates(rows: int, injected: np.ndarray, flagged_rows: set[int]) -> tuple[float, float, int]:
    truth = set(int(r) for r in injected)
    hits = len(truth & flagged_rows)
    false = len(flagged_rows - truth)
    return hits / len(truth), false / (rows - len(truth)), hits


def fault_cases(work: Path) -> list[dict[str, Any]]:
    from axiom_features.synthetic.bars import generate_bars

    clean = generate_bars(SYMBOLS, DAYS, seed=SEED, end=NOW.to_pydatetime(), created_at=NOW)
    clean = clean.drop(columns=["created_timestamp"])
    cases = []
    repo, run = _import(Injection(clean, np.empty(0, np.int64), {}), work, "clean")
    from axiom_features.quality.store import read_verdict

    verdict = read_verdict(repo, run)
    flagged = verdict["quarantined"] + verdict["warned"]
    cases.append(_case("clean_data", "false_positive_rate", flagged / len(clean), len(clean), 0,
                       flagged_rows=flagged, rule_counts=verdict["rule_counts"]))  # fmt: skip
    for kind, (inject, names) in KINDS.items():
        rng = np.random.default_rng([SEED, len(kind)])
        injection = inject(clean, spaced_rows(clean, FAULTS, rng), rng)
        started = time.perf_counter()
        repo, run = _import(injection, work, kind)
        elapsed = time.perf_counter() - started
        rows = {line - 2 for line in _flagged_lines(repo, run, names)}
        recall, fpr, hits = _rates(len(injection.bars), injection.injected, rows)
        print(f"  {kind:<22} recall {recall:8.4%}  false positives {fpr:8.4%}  ({elapsed:.1f} s)")
        cases += _pair(kind, recall, fpr, len(injection.bars), len(injection.injected), hits,
                       sorted(names), elapsed)  # fmt: skip
    cases += disagreement_cases(clean)
    return cases


def disagreement_cases(clean: pd.DataFrame) -> list[dict[str, Any]]:
    from axiom_features.quality.consensus import consensus_bars, synthetic_providers

    made = synthetic_providers(clean, disagree_rows=FAULTS, seed=SEED)
    result = consensus_bars(made.frames)
    key = ["symbol", "event_timestamp"]
    flagged = result.disagreements[result.disagreements["provider"] == "gamma"]
    flagged_keys = set(map(tuple, flagged[key].drop_duplicates().astype(str).to_numpy()))
    truth = set(map(tuple, made.disagreements[key].astype(str).to_numpy()))
    hits = len(truth & flagged_keys)
    others = result.disagreements[result.disagreements["provider"] != "gamma"]
    false = len(flagged_keys - truth) + len(others[key].drop_duplicates())
    recall, fpr = hits / len(truth), false / (len(clean) * 3 - len(truth))
    print(f"  {'provider_disagreement':<22} recall {recall:8.4%}  false positives {fpr:8.4%}")
    return _pair("provider_disagreement", recall, fpr, len(clean), len(truth), hits,
                 ["consensus tolerance 1%"], None)  # fmt: skip


def _case(case: str, metric: str, value: float, rows: int, injected: int, **extra) -> dict:
    goal = "value >= 0.999" if metric == "recall" else "value <= 0.001"
    return {"case": case, "metric": metric, "value": round(value, 6), "goal": goal,
            "rows": rows, "injected": injected, **extra}  # fmt: skip


def _pair(kind, recall, fpr, rows, injected, hits, rules, seconds) -> list[dict[str, Any]]:  # noqa: ANN001
    extra = {"detected_by": rules, "detected": hits}
    if seconds is not None:
        extra["import_seconds"] = round(seconds, 2)
    return [
        _case(kind, "recall", recall, rows, injected, **extra),
        _case(kind, "false_positive_rate", fpr, rows, injected, **extra),
    ]


# ------------------------------------------------------------------ large table


def large_frame_path(rows: int = ROWS) -> Path:
    """The cached feature frame (.npy, column-major) and its column names (.txt)."""
    path = CACHE_DIR / f"quality_features_{rows}x{COLUMNS}_seed{SEED}.npy"
    if path.exists():
        return path
    from axiom_features.quality.feature_rules import feature_bounds
    from transforms.catalogue import catalogue

    features = catalogue().features
    bounded = [f for f in features if feature_bounds(f.function)]
    others = [f for f in features if not feature_bounds(f.function)]
    chosen = (bounded[:EXPECTATIONS] + others)[:COLUMNS]
    rng = np.random.default_rng(SEED)
    data = np.empty((rows, COLUMNS), order="F")
    day = np.arange(rows) % 2520
    for j, feature in enumerate(chosen):
        bounds = feature_bounds(feature.function)
        column = data[:, j]
        if bounds:
            low = -50.0 if bounds[0] is None else bounds[0]
            high = low + 100.0 if bounds[1] is None else bounds[1]
            column[:] = rng.uniform(low, high, rows)
        else:
            column[:] = rng.standard_normal(rows) * rng.lognormal(0, 2)
        column[day < feature.warmup] = np.nan
        if j < EXPECTATIONS and j % 2 == 0:  # known violations in half the checked columns
            column[rng.choice(rows, size=25, replace=False)] = (bounds[1] or 0) + 1.0
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, data)
    os.replace(tmp, path)
    path.with_suffix(".txt").write_text("\n".join(f.name for f in chosen))
    return path


def _load(path: Path) -> pd.DataFrame:
    names = path.with_suffix(".txt").read_text().splitlines()
    return pd.DataFrame(np.load(path), columns=names, copy=False)


def _rules(frame: pd.DataFrame) -> list[Any]:
    from axiom_features.quality.feature_rules import feature_rules

    rules = [r for r in feature_rules() if r.name.startswith("range:")]
    return [r for r in rules if r.name.split(":", 1)[1] in frame][:EXPECTATIONS]


def _digest(rows: np.ndarray) -> str:
    return hashlib.sha256(np.sort(np.asarray(rows, dtype=np.int64)).tobytes()).hexdigest()[:16]


def measure_stock(path: Path) -> dict[str, Any]:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import logging

    import great_expectations as gx
    import great_expectations.expectations as gxe
    from great_expectations.data_context.types.base import ProgressBarsConfig

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    frame = _load(path)
    rules = _rules(frame)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    batch_def = (
        context.data_sources.add_pandas("bench")
        .add_dataframe_asset("features")
        .add_batch_definition_whole_dataframe("all")
    )
    suite = gx.ExpectationSuite(name="features")
    for rule in rules:
        check = rule.checks[0]
        suite.add_expectation(
            getattr(gxe, check.expectation)(**check.kwargs, meta={"r": rule.name})
        )
    started = time.perf_counter()
    batch = batch_def.get_batch(batch_parameters={"dataframe": frame})
    result = batch.validate(suite, result_format={"result_format": "COMPLETE"})
    elapsed = time.perf_counter() - started
    verdicts = {
        r.expectation_config.meta["r"]: {
            "success": bool(r.success),
            "unexpected": int(r.result.get("unexpected_count", 0)),
            "rows": _digest(r.result.get("unexpected_index_list") or []),
        }
        for r in result.results
    }
    return {"seconds": elapsed, "peak_rss_mb": peak_rss_mb(), "verdicts": verdicts}


def measure_platform(path: Path, repeats: int) -> dict[str, Any]:
    from axiom_features.quality.feature_rules import validate_table

    frame = _load(path)
    rules = _rules(frame)
    timings, verdict = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        verdict = validate_table(frame, rules, engine="duckdb")
        timings.append(time.perf_counter() - started)
    assert verdict is not None
    verdicts = {
        name: {"success": not len(rows), "unexpected": len(rows), "rows": _digest(rows)}
        for name, rows in verdict.failing_rows.items()
    }
    return {"runs": timings, "peak_rss_mb": peak_rss_mb(), "verdicts": verdicts,
            "data_mb": frame.memory_usage(index=False).sum() / 2**20}  # fmt: skip


def large_table_case() -> dict[str, Any]:
    path = large_frame_path()
    platform = isolated(measure_platform, path, REPEATS)
    print(f"  platform gate (DuckDB)  {median(platform['runs']):7.2f} s  "
          f"{platform['peak_rss_mb']:,.0f} MB")  # fmt: skip
    stock = isolated(measure_stock, path)
    print(f"  stock GX                {stock['seconds']:7.2f} s  {stock['peak_rss_mb']:,.0f} MB")
    differing = sorted(
        k for k in stock["verdicts"] if stock["verdicts"][k] != platform["verdicts"].get(k)
    )
    print(f"  verdicts differing: {len(differing)} of {len(stock['verdicts'])}")
    return cost_case(
        "large_table",
        baseline="stock_gx",
        baseline_value=stock["seconds"],
        value=median(platform["runs"]),
        peak_rss_mb=platform["peak_rss_mb"],
        goal="ratio <= 0.5 and peak_rss_mb <= 4096 and same verdicts",
        runs=[round(v, 3) for v in platform["runs"]],
        baseline_peak_rss_mb=round(stock["peak_rss_mb"], 1),
        expectations=len(stock["verdicts"]),
        failing_expectations=sum(not v["success"] for v in stock["verdicts"].values()),
        same_verdicts=not differing,
        differing=differing,
        data_mb=round(platform["data_mb"], 1),
    )


# ------------------------------------------------------------------ small file


def _child_cpu(args: list[str]) -> float:
    """CPU seconds (user + system) of one child process running ``args``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(args, check=True, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _small_import_cpu(code: str, arguments: str) -> float:
    """CPU seconds of ``python -c code`` with ``arguments`` ({repo}, {csv} filled in) over a
    fresh repo folder and the 4-row file."""
    with tempfile.TemporaryDirectory(prefix="bench-small-") as tmp:
        csv = Path(tmp) / "bars.csv"
        csv.write_text(SMALL_FILE)
        repo = Path(tmp) / "repo"
        repo.mkdir()
        filled = arguments.format(repo=repo, csv=csv).split()
        return _child_cpu([sys.executable, "-c", code, *filled])


def small_file_case() -> dict[str, Any]:
    platform = [_small_import_cpu(AXIOM, "--repo {repo} ingest {csv}") for _ in range(REPEATS)]
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # platform runs only
    baseline = _small_import_cpu(BEFORE, "{repo} {csv}")
    return cost_case(
        "small_file_cpu",
        baseline="feast_and_gx_imports",
        baseline_value=baseline,
        value=median(platform),
        peak_rss_mb=rss,
        goal="value <= 2.0",
        rows=4,
        runs=[round(v, 3) for v in platform],
    )


def _previous_cases() -> list[dict[str, Any]]:
    """The previous result's cases, each stamped with when it was measured."""
    path = RESULTS_DIR / "quality.json"
    if not path.exists():
        return []
    previous = json.loads(path.read_text())
    return [{"when": previous["when"], **case} for case in previous["cases"]]


def main() -> None:
    unknown = sorted(set(SELECTED) - set(GROUPS))
    if unknown:
        raise SystemExit(f"BENCH_QUALITY_CASES: unknown {', '.join(unknown)}; known: {GROUPS}")
    load = os.getloadavg()
    cases: list[dict[str, Any]] = []
    if "faults" in SELECTED:
        print(f"quality benchmark: {SYMBOLS} symbols x {DAYS} days, {FAULTS} faults per kind")
        with tempfile.TemporaryDirectory(prefix="bench-quality-") as tmp:
            cases += fault_cases(Path(tmp))
    if "large_table" in SELECTED:
        print(f"large table: {ROWS:,} rows x {COLUMNS} columns, {EXPECTATIONS} expectations")
        cases.append(large_table_case())
    if "small_file_cpu" in SELECTED:
        print("small file: axiom ingest of 4 rows, CPU seconds")
        cases.append(small_file_case())
    if set(SELECTED) != set(GROUPS):  # keep the cases this run did not measure
        measured = {c["case"] for c in cases}
        cases = [c for c in _previous_cases() if c["case"] not in measured] + cases
    out = write_result(
        "quality",
        versions=package_versions("great-expectations", "duckdb", "pandas", "numpy"),
        setup={
            "symbols": SYMBOLS,
            "days": DAYS,
            "faults_per_kind": FAULTS,
            "large_table_rows": ROWS,
            "large_table_columns": COLUMNS,
            "expectations": EXPECTATIONS,
            "load_average": [round(x, 2) for x in load],
            "cases_run": SELECTED,
        },
        cases=cases,
    )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
