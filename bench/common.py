"""What every benchmark shares: data cache, peak memory, timing and the JSON result file.

Result files follow ``BENCH.md``: ``bench/results/<benchmark>.json`` with ``benchmark``,
``when``, ``versions``, ``setup`` and ``cases`` (``case``, ``metric``, ``baseline``,
``baseline_value``, ``value``, ``ratio``, ``peak_rss_mb``, ``goal``, plus extras).
"""

from __future__ import annotations

import json
import multiprocessing
import platform
import resource
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
CACHE_DIR = BENCH_DIR / ".cache"
"""Generated inputs (git-ignored)."""
RESULTS_DIR = BENCH_DIR / "results"

_RSS_UNIT = 1 if sys.platform == "darwin" else 1024
"""``ru_maxrss`` is in bytes on macOS and in kilobytes on Linux."""


def peak_rss_mb(children: bool = False) -> float:
    """Peak resident memory of this process in MB; with ``children``, plus the largest
    waited-for child's peak (``getrusage`` reports the maximum child, not a sum)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if children:
        peak += resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return peak * _RSS_UNIT / 2**20


def package_versions(*packages: str) -> dict[str, str]:
    """Installed versions of ``packages``, plus Python's."""
    found = {"python": platform.python_version()}
    for name in packages:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


def seconds(action: Callable[[], Any]) -> float:
    """Wall-clock seconds of one call."""
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def cost_case(
    case: str,
    *,
    baseline: str,
    baseline_value: float,
    value: float,
    peak_rss_mb: float,
    goal: str,
    metric: str = "seconds",
    **extra: Any,
) -> dict[str, Any]:
    """A case whose metric is a cost: ``ratio = value / baseline_value`` (lower is better)."""
    return {
        "case": case,
        "metric": metric,
        "baseline": baseline,
        "baseline_value": round(baseline_value, 4),
        "value": round(value, 4),
        "ratio": round(value / baseline_value, 3),
        "peak_rss_mb": round(peak_rss_mb, 1),
        "goal": goal,
        **extra,
    }


def write_result(
    benchmark: str,
    *,
    versions: dict[str, str],
    setup: dict[str, Any],
    cases: list[dict[str, Any]],
) -> Path:
    """Write ``bench/results/<benchmark>.json`` and return its path."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{benchmark}.json"
    document = {
        "benchmark": benchmark,
        "when": datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "versions": versions,
        "setup": setup,
        "cases": cases,
    }
    path.write_text(json.dumps(document, indent=2) + "\n")
    return path


SPAWN = multiprocessing.get_context("spawn")
"""Fresh processes: no state inherited, so each measurement has its own peak RSS."""


def isolated(function: Callable[..., Any], *args: Any) -> Any:
    """Run ``function(*args)`` in a fresh spawned process and return its result (or raise)."""
    receive, send = SPAWN.Pipe(duplex=False)
    process = SPAWN.Process(target=_call_and_send, args=(send, function, args))
    process.start()
    result = receive.recv()
    process.join()
    if isinstance(result, BaseException):
        raise result
    return result


def _call_and_send(send: Any, function: Callable[..., Any], args: tuple) -> None:
    try:
        send.send(function(*args))
    except BaseException as error:  # noqa: BLE001 - returned to the parent and re-raised there
        send.send(error)
        raise
