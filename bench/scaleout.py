"""Benchmark: the transform job and point-in-time retrieval on a two-node Ray cluster.

The cluster is real: two ``ray start --block`` processes on this machine, a head and a
worker node joining it, one CPU and a 256 MB object store each, and the benchmark connects
to it as a driver. Each node runs in a session of its own, as nodes started on two machines
(or from two shells) would: on a kernel that shares CPU between sessions first
(``sched_autogroup``), a node then competes for the machine as one party, like the baseline
process does, instead of the two nodes and the driver sharing one party's slice. Cases:

- ``transform_ray_2_nodes``: the transform job's symbol batches (read the lake's bars,
  compute the TA-Lib views, write one Parquet file per view and symbol) as Ray tasks on the
  two nodes, against the same batches in one process (``transform_one_process``); both
  write the same bytes (content hash of every offline table, same creation time). Worker
  processes are started by a small warm-up job first, as a long-lived cluster would have
  them; the baseline runs in the driver, which has every module imported already. The day
  profiles the job writes afterwards run in the driver either way and are not timed.
- ``retrieval_1m_ray``: ``get_historical_features`` for 1M entity rows × 200 features with
  the entity rows partitioned by symbol and joined per partition on the workers, against
  the same call answered locally (``retrieval_1m_local``); the answers' content hashes
  (columns, dtypes, index and every value) must be equal. Each answer is hashed and dropped
  before the next call, so no call runs beside an earlier answer.
- ``transform_5000_symbols``: 5,000 symbols × 2,520 days through Ray; seconds and the peak
  memory of the driver and every cluster process together, goal ≤ 8 GB. Symbols are
  generated one at a time into a cached lake, so no step holds all series. Runs first.

Memory: ``peak_rss_mb`` is the peak of the summed proportional set size (PSS: a page shared
by n processes counts 1/n in each — Ray's object store and a shared answer are mapped by
several processes) of the driver and all its descendants, sampled every 0.2 s;
``peak_rss_sum_mb`` is the same peak with plain RSS summed (shared pages counted once per
process that maps them). CPU: ``cpu_seconds`` (the platform's) and ``baseline_cpu_seconds``
are the user + system time of the driver and every cluster process during a timed call
(medians; the baseline's: the driver's alone), the work done whatever the machine's load.

The load average and whether the kernel groups CPU time by session are recorded in
``setup``.

``BENCH_RAY_SYMBOLS`` (500), ``BENCH_BIG_SYMBOLS`` (5000), ``BENCH_RAY_DAYS`` (2520),
``BENCH_REPEATS`` (2), ``BENCH_RETRIEVAL_ROWS`` (1000000) shrink a run.

Run: ``python -m bench.scaleout`` (or ``make bench-scaleout``).
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import psutil
import pyarrow as pa
import pyarrow.parquet as pq

from axiom_features.contracts import BAR_SCHEMA
from axiom_features.lakes.symbols import symbol_file
from axiom_features.paths import RepoPaths
from axiom_features.pipeline import transform_job
from axiom_features.scaleout.settings import ComputeSettings
from bench.common import CACHE_DIR, cost_case, median, package_versions, write_result
from transforms.catalogue import catalogue

SYMBOLS = int(os.environ.get("BENCH_RAY_SYMBOLS", "500"))
BIG_SYMBOLS = int(os.environ.get("BENCH_BIG_SYMBOLS", "5000"))
DAYS = int(os.environ.get("BENCH_RAY_DAYS", "2520"))
REPEATS = int(os.environ.get("BENCH_REPEATS", "2"))
RETRIEVAL_ROWS = int(os.environ.get("BENCH_RETRIEVAL_ROWS", "1000000"))
NODE_STORE_MB = 256
CREATED = datetime(2025, 1, 2, 21, 0, tzinfo=UTC)
TALIB_VIEWS = [n for n in catalogue().views if catalogue().family_of(n) == "talib"]
BIG_VIEWS = ["ta_volatility", "ta_statistic", "ta_cycle"]
"""The 5,000-symbol case writes three views (about 3 GB), not the 18 GB of all nine."""


def bars_table(symbol: str, index: int, days: int) -> pa.Table:
    """One symbol's daily bars (geometric Brownian motion), seeded by its index."""
    rng = np.random.default_rng(1_000 + index)
    close = rng.uniform(10, 500) * np.exp(np.cumsum(rng.normal(0.0002, 0.02, days)))
    previous = np.concatenate([[close[0]], close[:-1]])
    open_ = previous * np.exp(rng.normal(0.0, 0.005, days))
    high = np.maximum(open_, close) * np.exp(np.abs(rng.normal(0.0, 0.01, days)))
    low = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0.0, 0.01, days)))
    stamps = pd.bdate_range("2015-01-02 21:00", periods=days, tz="UTC")
    return pa.table(
        {
            "symbol": pa.array([symbol] * days),
            "event_timestamp": pa.array(stamps),
            "open": open_,
            "high": high,
            "low": low,
            "close": close,
            "volume": rng.lognormal(13.0, 0.6, days),
            "created_timestamp": pa.array(pd.DatetimeIndex([CREATED] * days)),
            "source": pa.array(["bench"] * days),
        }
    ).cast(BAR_SCHEMA)


def cached_lake(symbols: int, days: int) -> RepoPaths:
    """A lake of ``symbols`` bars files under ``bench/.cache``, written one symbol at a time."""
    repo = RepoPaths(CACHE_DIR / "scaleout" / f"lake_{symbols}x{days}")
    done = repo.root / "complete"
    if not done.exists():
        repo.bars.mkdir(parents=True, exist_ok=True)
        for index, symbol in enumerate(symbol_names(symbols)):
            pq.write_table(bars_table(symbol, index, days), symbol_file(repo.bars, symbol))
        done.write_text("ok\n")
    return repo


def symbol_names(count: int) -> list[str]:
    return [f"S{i:05d}" for i in range(count)]


def fresh_output(lake: RepoPaths, name: str) -> RepoPaths:
    """A repo reading ``lake``'s bars (symlinked) with an empty offline folder."""
    repo = RepoPaths(CACHE_DIR / "scaleout" / "runs" / name)
    shutil.rmtree(repo.root, ignore_errors=True)
    repo.bars.parent.mkdir(parents=True)
    repo.bars.symlink_to(lake.bars.resolve(), target_is_directory=True)
    return repo


def offline_hash(repo: RepoPaths) -> str:
    """SHA-256 over every offline table: path, schema with metadata, every column."""
    digest = hashlib.sha256()
    files = sorted(repo.offline.glob("*/*.parquet"))
    if not files:
        raise FileNotFoundError(f"no offline tables under {repo.offline}")
    for path in files:
        table = pq.read_table(path)
        digest.update(str(path.relative_to(repo.offline)).encode())
        digest.update(table.schema.to_string(show_schema_metadata=True).encode())
        frame = table.to_pandas()
        digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


class ClusterMemory:
    """Peak memory of this process and all its descendants (the cluster's processes are
    children of the driver that started them), sampled every 0.2 s: summed PSS
    (``peak_mb``) and summed RSS (``peak_rss_sum_mb``)."""

    def __init__(self) -> None:
        self.peak_mb = 0.0
        self.peak_rss_sum_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            pss = rss = 0
            for process in [me, *me.children(recursive=True)]:
                try:
                    info = process.memory_full_info()
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    continue
                pss += info.pss
                rss += info.rss
            self.peak_mb = max(self.peak_mb, pss / 2**20)
            self.peak_rss_sum_mb = max(self.peak_rss_sum_mb, rss / 2**20)
            self._stop.wait(0.2)

    def __enter__(self) -> ClusterMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def cluster_cpu_seconds(cluster: bool = True) -> float:
    """User + system CPU seconds used so far by this process and (``cluster``) its live
    descendants."""
    total = 0.0
    me = psutil.Process()
    for process in [me, *(me.children(recursive=True) if cluster else [])]:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _ray_node(*args: str) -> subprocess.Popen:
    """``ray start --block`` in a session (and process group) of its own."""
    command = [
        str(Path(sys.executable).with_name("ray")),
        "start",
        "--block",
        "--num-cpus=1",
        f"--object-store-memory={NODE_STORE_MB * 2**20}",
        "--disable-usage-stats",
        *args,
    ]
    return subprocess.Popen(
        command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def _stop_node(node: subprocess.Popen) -> None:
    """Stop a node and every process it started (its process group)."""
    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        try:
            os.killpg(node.pid, sig)
        except ProcessLookupError:
            return
        try:
            node.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                os.killpg(node.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.2)


@contextmanager
def two_node_cluster() -> Iterator[str]:
    """A head and a worker node, one CPU each, each in its own session; yields the
    address, the driver connected."""
    # Ray 2.59+ starts `ray start` nodes with token authentication; nodes and driver agree on
    # it (read when Ray is imported; the token is generated once under ~/.ray/).
    os.environ.setdefault("RAY_AUTH_MODE", "token")
    # A busy machine can take longer than Ray's default to start a node's agents.
    os.environ.setdefault("RAY_agent_register_timeout_ms", "120000")
    import ray
    port = _free_port()
    address = f"{ray.util.get_node_ip_address()}:{port}"
    nodes = [_ray_node("--head", f"--port={port}", "--include-dashboard=false")]
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                ray.init(address=address, log_to_driver=False, logging_level=logging.WARNING)
                break
            except (ConnectionError, RuntimeError):
                if time.monotonic() > deadline or nodes[0].poll() is not None:
                    raise
                time.sleep(1)
        nodes.append(_ray_node(f"--address={address}"))
        while len([n for n in ray.nodes() if n["Alive"]]) < 2:
            if time.monotonic() > deadline or nodes[1].poll() is not None:
                raise RuntimeError("the second Ray node did not join")
            time.sleep(0.5)
        yield address
    finally:
        ray.shutdown()
        for node in reversed(nodes):
            _stop_node(node)


def transform_locally(repo: RepoPaths, symbols: list[str], views: list[str]) -> None:
    """The job's batch function over every symbol, in this process."""
    transform_job._transform_batch(str(repo.root), symbols, views, CREATED)


def transform_on_ray(
    repo: RepoPaths, symbols: list[str], views: list[str], address: str, batch_size: int = 10
) -> dict[str, int]:
    """The job's Ray path over every symbol; returns batches per node."""
    settings = ComputeSettings(engine="ray", address=address, min_symbols=1, batch_size=batch_size)
    return transform_job._run_on_ray(
        repo, symbols, views, CREATED, settings, lambda outcomes, count: None, None
    )


def timed(action: Callable[[], Any], cluster: bool = True) -> tuple[float, Any, float]:
    """Wall seconds, result, and CPU seconds of the driver and (``cluster``) every cluster
    process."""
    cpu = cluster_cpu_seconds(cluster)
    start = time.perf_counter()
    result = action()
    took = time.perf_counter() - start
    return took, result, cluster_cpu_seconds(cluster) - cpu


def transform_cases(address: str) -> list[dict[str, Any]]:
    lake = cached_lake(SYMBOLS, DAYS)
    symbols = symbol_names(SYMBOLS)
    warm = fresh_output(lake, "warm")
    transform_on_ray(warm, symbols[:8], TALIB_VIEWS, address, batch_size=1)  # both nodes
    local_runs, ray_runs, local_cpu, ray_cpu, peaks, rss_sums, placement = (
        [],
        [],
        [],
        [],
        [],
        [],
        {},
    )
    local, on_ray = fresh_output(lake, "local"), fresh_output(lake, "ray")
    for _ in range(REPEATS):
        local = fresh_output(lake, "local")
        took, _, cpu = timed(partial(transform_locally, local, symbols, TALIB_VIEWS), cluster=False)
        local_runs.append(took)
        local_cpu.append(cpu)
        on_ray = fresh_output(lake, "ray")
        with ClusterMemory() as memory:
            took, placement, cpu = timed(
                partial(transform_on_ray, on_ray, symbols, TALIB_VIEWS, address)
            )
        ray_runs.append(took)
        ray_cpu.append(cpu)
        peaks.append(memory.peak_mb)
        rss_sums.append(memory.peak_rss_sum_mb)
    identical = offline_hash(local) == offline_hash(on_ray)
    print(f"transform: one process {local_runs}, ray {ray_runs}, identical {identical}")
    print(f"  cpu seconds: one process {local_cpu}, ray {ray_cpu}")
    return [
        cost_case(
            "transform_ray_2_nodes",
            baseline="transform_one_process",
            baseline_value=median(local_runs),
            value=median(ray_runs),
            peak_rss_mb=max(peaks),
            goal="ratio <= 0.6 and identical output",
            identical_output=identical,
            symbols=SYMBOLS,
            views=len(TALIB_VIEWS),
            batches_per_node=sorted(placement.values()),
            repeats=REPEATS,
            runs=[round(v, 2) for v in ray_runs],
            baseline_runs=[round(v, 2) for v in local_runs],
            cpu_seconds=round(median(ray_cpu), 2),
            baseline_cpu_seconds=round(median(local_cpu), 2),
            peak_rss_sum_mb=round(max(rss_sums), 1),
        )
    ]


def big_transform_case(address: str) -> dict[str, Any]:
    lake = cached_lake(BIG_SYMBOLS, DAYS)
    repo = fresh_output(lake, "big")
    with ClusterMemory() as memory:
        took, placement, cpu = timed(
            lambda: transform_on_ray(repo, symbol_names(BIG_SYMBOLS), BIG_VIEWS, address)
        )
    files = sum(1 for _ in repo.offline.glob("*/*.parquet"))
    shutil.rmtree(repo.root)
    print(f"transform {BIG_SYMBOLS} symbols: {took:.1f} s, peak {memory.peak_mb:.0f} MB")
    return {
        "case": "transform_5000_symbols",
        "metric": "seconds",
        "value": round(took, 2),
        "peak_rss_mb": round(memory.peak_mb, 1),
        "peak_rss_sum_mb": round(memory.peak_rss_sum_mb, 1),
        "cpu_seconds": round(cpu, 2),
        "goal": "peak_rss_mb <= 8192",
        "symbols": BIG_SYMBOLS,
        "days": DAYS,
        "views": BIG_VIEWS,
        "files_written": files,
        "batches_per_node": sorted(placement.values()),
        "rss_scope": "driver and every cluster process, PSS summed",
    }


def retrieval_store(kind: str, address: str):  # noqa: ANN201 - feast.FeatureStore
    """The retrieval benchmark's store (its tables and registry), joined locally or on Ray."""
    from feast import FeatureStore

    from bench import retrieval

    yaml = retrieval.repo_yaml("platform")
    if kind == "ray":
        yaml = yaml.with_name("ray.yaml")
        yaml.write_text(
            retrieval.repo_yaml("platform").read_text()
            + f"compute:\n  engine: ray\n  address: {address}\n"
        )
    return FeatureStore(repo_path=str(retrieval.REPO), fs_yaml_file=yaml)


def answer_hash(frame: pd.DataFrame) -> str:
    """SHA-256 of a retrieval answer: column names, dtypes, index and every value."""
    digest = hashlib.sha256()
    digest.update(repr([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    return digest.hexdigest()


def retrieval_case(address: str) -> dict[str, Any]:
    from bench import retrieval

    retrieval.prepare()
    entity = pd.read_parquet(retrieval.entity_frame(RETRIEVAL_ROWS))
    features = retrieval.all_features()
    cwd = os.getcwd()
    os.chdir(retrieval.REPO)
    try:
        stores = {kind: retrieval_store(kind, address) for kind in ("local", "ray")}
        runs: dict[str, list[float]] = {"local": [], "ray": []}
        cpu: dict[str, list[float]] = {"local": [], "ray": []}
        hashes: dict[str, set[str]] = {"local": set(), "ray": set()}
        peaks, rss_sums = [], []
        for _ in range(REPEATS):
            for kind, store in stores.items():
                with ClusterMemory() as memory:
                    took, answer, used = timed(
                        partial(
                            lambda s: s.get_historical_features(
                                entity_df=entity, features=features
                            ).to_df(),
                            store,
                        ),
                        cluster=kind == "ray",
                    )
                runs[kind].append(took)
                cpu[kind].append(used)
                hashes[kind].add(answer_hash(answer))
                del answer
                if kind == "ray":
                    peaks.append(memory.peak_mb)
                    rss_sums.append(memory.peak_rss_sum_mb)
    finally:
        os.chdir(cwd)
    identical = len(hashes["local"]) == 1 and hashes["local"] == hashes["ray"]
    print(f"retrieval {RETRIEVAL_ROWS}: {runs}, identical {identical}")
    print(f"  cpu seconds: {cpu}")
    return cost_case(
        "retrieval_1m_ray",
        baseline="retrieval_1m_local",
        baseline_value=median(runs["local"]),
        value=median(runs["ray"]),
        peak_rss_mb=max(peaks),
        goal="ratio <= 1.25 and identical output",
        identical_output=identical,
        entity_rows=RETRIEVAL_ROWS,
        features=len(features),
        repeats=REPEATS,
        runs=[round(v, 2) for v in runs["ray"]],
        baseline_runs=[round(v, 2) for v in runs["local"]],
        cpu_seconds=round(median(cpu["ray"]), 2),
        baseline_cpu_seconds=round(median(cpu["local"]), 2),
        peak_rss_sum_mb=round(max(rss_sums), 1),
    )


def _autogroup() -> bool:
    """Whether the kernel shares CPU between sessions first (then the driver and all its
    cluster's processes together get one session's share on a busy machine)."""
    try:
        return Path("/proc/sys/kernel/sched_autogroup_enabled").read_text().strip() == "1"
    except OSError:
        return False


def main() -> None:
    load = os.getloadavg()
    cases: list[dict[str, Any]] = []
    with two_node_cluster() as address:
        cases.append(big_transform_case(address))  # first: the driver holds nothing yet
        cases += transform_cases(address)
        cases.append(retrieval_case(address))
    write_result(
        "scaleout",
        versions=package_versions("ray", "pyarrow", "duckdb", "feast", "ta-lib"),
        setup={
            "nodes": 2,
            "cpus_per_node": 1,
            "object_store_mb_per_node": NODE_STORE_MB,
            "symbols": SYMBOLS,
            "days": DAYS,
            "cores": os.cpu_count(),
            "load_average_at_start": [round(v, 2) for v in load],
            "load_average_at_end": [round(v, 2) for v in os.getloadavg()],
            "sched_autogroup": _autogroup(),
        },
        cases=cases,
    )


if __name__ == "__main__":
    main()
