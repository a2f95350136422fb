"""``make bench-streaming``: live bars to online features, 500 symbols, every bar-based view.

A repo with 500 symbols' history (every bar-based view transformed, Feast applied, the
fast Redis online store) is built once and cached; each run copies it.

- ``latency_500_bars_per_s``: a consumer (its own process) warms its state from the lake,
  then reads the stream while bars are published at 500 bars/s for ``LATENCY_SECONDS``; a
  prober takes the newest published bar every ``PROBE_EVERY`` seconds and polls
  ``get_online_features`` (with event timestamps) until that bar's row is readable:
  milliseconds from publish to readable. Baseline
  ``batch_path``: one new bar through today's commands in the same run (ingest, transform of
  that symbol, incremental materialize).
- ``throughput``: ``REPLAY_DAYS`` sessions of all symbols published first, then consumed;
  bars per second from the consumer being warm to every bar acknowledged (each bar is
  acknowledged once its features are online), and the consumer's peak RSS.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import shutil
import signal
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench.common import (
    CACHE_DIR,
    cost_case,
    package_versions,
    peak_rss_mb,
    write_result,
)
from bench.feature_tables import BenchRedis

SYMBOLS = int(os.environ.get("BENCH_STREAM_SYMBOLS", "500"))
HISTORY_DAYS = 280
THROUGHPUT_DAYS = 40
"""Sessions generated for the throughput case."""
REPLAY_DAYS = int(os.environ.get("BENCH_STREAM_REPLAY_DAYS", "40"))
"""Sessions of all symbols the throughput case replays (at most ``THROUGHPUT_DAYS``)."""
LATENCY_SECONDS = float(os.environ.get("BENCH_STREAM_LATENCY_SECONDS", "60"))
RATE = 500.0
PROBE_EVERY = 0.1
PROBE_TIMEOUT = 10.0
WARM_SECONDS = 600.0
"""Longest wait for the consumer to warm its state before publishing starts."""
FLUSH_SECONDS = 3600.0
"""Lake and offline appends are left out of both cases: one flush rewrites every symbol's
offline files (500 x 21) whatever the number of bars."""
DB = 13
END = datetime(2026, 6, 30, 21, tzinfo=UTC)
FORK = multiprocessing.get_context("fork")


def _days() -> int:
    return HISTORY_DAYS + THROUGHPUT_DAYS + int(LATENCY_SECONDS * RATE / SYMBOLS) + 4


def _bars() -> pd.DataFrame:
    from axiom_features.synthetic.bars import generate_bars, symbol_names

    return generate_bars(symbol_names(SYMBOLS), _days(), seed=23, end=END)


def _base_repo(bars: pd.DataFrame, times: np.ndarray) -> Path:
    """The cached repo: history imported and transformed (built once per size)."""
    from axiom_features.incremental.state import bar_views
    from axiom_features.ingest import import_frame
    from axiom_features.paths import RepoPaths
    from axiom_features.pipeline.transform_job import run_transform_job
    from tests.conftest import copy_feature_repo

    base = CACHE_DIR / "streaming" / f"repo-{SYMBOLS}x{HISTORY_DAYS}-of-{_days()}"
    if (base / ".built").exists():
        return base
    shutil.rmtree(base, ignore_errors=True)
    copy_feature_repo(base, project="bstream")
    history = bars[bars["event_timestamp"] <= times[HISTORY_DAYS - 1]]
    print(f"building the history: {len(history):,} bars …", flush=True)
    import_frame(history, RepoPaths(base), run_id="history", source="synthetic")
    run_transform_job(RepoPaths(base), views=[v.name for v in bar_views()], workers=2)
    (base / ".built").touch()
    return base


def _run_repo(base: Path, url: str) -> tuple[Path, str]:
    from axiom_features.pipeline import jobs
    from tests.stream_fixtures import redis_online

    root = CACHE_DIR / "streaming" / "run"
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(base, root)
    project = f"bs{uuid.uuid4().hex[:8]}"
    for yaml in [root / "feature_store.yaml"]:
        yaml.write_text(yaml.read_text().replace("project: bstream", f"project: {project}"))
    (root / "data" / "registry.db").unlink(missing_ok=True)
    redis_online(root, url)
    jobs.apply(root)
    return root, project


def _consume(root: Path, url: str, source: str, report: Any) -> None:
    """A consumer that reports its figures after every micro-batch (it is killed at the end,
    before its lake flush, which the cases leave out: see ``FLUSH_SECONDS``)."""
    import resource

    from axiom_features.streaming.consumer import ConsumerSettings, StreamConsumer
    from axiom_features.streaming.redis_transport import RedisStreamsTransport

    settings = ConsumerSettings(source=source, batch_size=2000, flush_seconds=FLUSH_SECONDS)
    consumer = StreamConsumer(root, settings, RedisStreamsTransport(url))
    report.put({"ready": True})
    first: list[float] = []
    process = consumer.process

    def timed(messages, catching_up=False):  # noqa: ANN001, ANN202
        first or first.append(time.perf_counter())
        process(messages, catching_up)
        report.put(
            {
                "bars": consumer.report.bars,
                "seconds": time.perf_counter() - first[0],
                "batches": consumer.report.batches,
                "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )

    consumer.process = timed  # type: ignore[method-assign]
    consumer.run()


def _stop(child: Any, queue: Any) -> dict[str, Any]:
    """Kill the consumer and return its last report."""
    os.kill(child.pid, signal.SIGKILL)
    child.join()
    last: dict[str, Any] = {"bars": 0, "seconds": 0.0, "batches": 0, "rss_mb": 0.0}
    while not queue.empty():
        item = queue.get()
        if "ready" not in item:
            last = item
    return last


def throughput(root: Path, url: str, live: pd.DataFrame) -> dict[str, Any]:
    from axiom_features.streaming.names import bar_stream
    from axiom_features.streaming.publisher import publish_bars
    from axiom_features.streaming.redis_transport import RedisStreamsTransport

    source = f"tp{uuid.uuid4().hex[:6]}"
    transport = RedisStreamsTransport(url)
    publish_bars(transport, bar_stream(source), live, source="synthetic")
    queue = FORK.Queue()
    child = FORK.Process(target=_consume, args=(root, url, source, queue))
    child.start()
    queue.get(timeout=WARM_SECONDS)  # the consumer has warmed its state from the lake
    started = time.perf_counter()
    stream = bar_stream(source)
    newest = status_last(transport, stream)
    while child.is_alive():
        status = transport.status(stream, "axiom-features")
        if status.last_delivered == newest and status.pending == 0:
            break
        time.sleep(0.02)
    seconds = time.perf_counter() - started
    result = _stop(child, queue)
    transport.client.delete(stream)
    # Every bar acknowledged, i.e. online: the rate is the consumer's, start to finish.
    return {**result, "bars": len(live), "seconds": seconds}


def status_last(transport: Any, stream: str) -> str:
    """The id of the newest message of ``stream``."""
    newest = transport.client.xrevrange(stream, count=1)
    return newest[0][0].decode() if newest else "0-0"


def _utc(seconds: int) -> pd.Timestamp:
    """An event timestamp of ``to_dict(include_event_timestamps=True)`` (epoch seconds)."""
    return pd.Timestamp(int(seconds), unit="s", tz="UTC")


def _probe(store: Any, feature: str, symbol: str, stamp: pd.Timestamp, since: float) -> float:
    deadline = since + PROBE_TIMEOUT
    while time.time() < deadline:
        answer = store.get_online_features(
            features=[feature], entity_rows=[{"symbol": symbol}]
        ).to_dict(include_event_timestamps=True)
        seen = answer.get(f"{feature.split(':')[1]}__ts") or [None]
        if seen[0] is not None and _utc(seen[0]) >= stamp:
            return (time.time() - since) * 1000
        time.sleep(0.002)
    return float("nan")


def latency(root: Path, url: str, live: pd.DataFrame) -> dict[str, Any]:
    from axiom_features.incremental.state import bar_views
    from axiom_features.pipeline import jobs
    from axiom_features.streaming.messages import encode_bars
    from axiom_features.streaming.names import bar_stream
    from axiom_features.streaming.redis_transport import RedisStreamsTransport

    source = f"lt{uuid.uuid4().hex[:6]}"
    transport = RedisStreamsTransport(url)
    transport.ensure_group(bar_stream(source), "axiom-features")
    queue = FORK.Queue()
    child = FORK.Process(target=_consume, args=(root, url, source, queue))
    child.start()
    queue.get(timeout=WARM_SECONDS)  # the consumer has warmed its state from the lake
    view = bar_views()[0]
    feature = f"{view.name}:{view.features[0].name}"
    store = jobs.open_store(root)
    ordered = live.sort_values(["event_timestamp", "symbol"]).reset_index(drop=True)
    messages = encode_bars(ordered, "synthetic")
    total = min(len(messages), int(LATENCY_SECONDS * RATE))
    sent: list[tuple[int, float]] = []
    done = threading.Event()

    def publish() -> None:
        start = time.monotonic()
        i = 0
        while i < total:
            due = min(total, int((time.monotonic() - start) * RATE) + 1)
            if due <= i:
                time.sleep(0.002)
                continue
            batch = messages[i:due]
            now = time.time()
            for m in batch:
                m["published_ns"] = str(int(now * 1e9))
            transport.publish(bar_stream(source), batch)
            sent.append((due - 1, now))
            i = due
        done.set()

    publisher = threading.Thread(target=publish)
    publisher.start()
    samples: list[float] = []
    while not done.is_set():
        time.sleep(PROBE_EVERY * random.uniform(0.5, 1.5))
        if not sent:
            continue
        index, when = sent[-1]
        row = ordered.iloc[index]
        samples.append(_probe(store, feature, row["symbol"], row["event_timestamp"], when))
    publisher.join()
    status = transport.status(bar_stream(source), "axiom-features")
    time.sleep(1.0)
    result = _stop(child, queue)
    transport.client.delete(bar_stream(source))
    values = np.array(samples)
    read = values[~np.isnan(values)]
    return {
        "samples": len(values),
        "unread_within_timeout": int(np.isnan(values).sum()),
        "p50_ms": float(np.percentile(read, 50)) if len(read) else float("nan"),
        "p99_ms": float(np.percentile(read, 99)) if len(read) else float("nan"),
        "published": total,
        "consumer": result,
        "lag_at_end": status.lag + status.pending,
    }


def batch_path(root: Path, bar: pd.DataFrame) -> float:
    """Seconds for one new bar through ingest, transform (its symbol) and materialize."""
    from axiom_features.incremental.state import bar_views
    from axiom_features.pipeline import jobs

    symbol = str(bar["symbol"].iloc[0])
    views = [v.name for v in bar_views()]
    started = time.perf_counter()
    jobs.ingest_frame(root, bar, source="synthetic", origin="bench")
    jobs.transform(root, symbols=[symbol], views=views)
    jobs.materialize(root, None, bar["event_timestamp"].iloc[0].to_pydatetime(), views=views)
    return time.perf_counter() - started


def _cpu_share_seconds() -> float:
    """Seconds for a fixed pure-Python loop: it grows as other work takes the cores, so it
    tells how much of a core the benchmark's processes got."""
    started = time.perf_counter()
    sum(range(10_000_000))
    return round(time.perf_counter() - started, 3)


def main() -> None:
    load = os.getloadavg()
    loop_before = _cpu_share_seconds()
    redis = BenchRedis()
    url = redis.url(DB)
    bars = _bars()
    times = np.sort(bars["event_timestamp"].unique())
    base = _base_repo(bars, times)
    tp_times = times[HISTORY_DAYS : HISTORY_DAYS + REPLAY_DAYS]
    lt_times = times[HISTORY_DAYS + THROUGHPUT_DAYS : -1]

    root, _ = _run_repo(base, url)
    print(f"throughput: {REPLAY_DAYS} sessions × {SYMBOLS} symbols …", flush=True)
    tp = throughput(root, url, bars[bars["event_timestamp"].isin(tp_times)])
    print(tp, flush=True)
    print(f"latency: {RATE:.0f} bars/s for {LATENCY_SECONDS:.0f} s …", flush=True)
    lt = latency(root, url, bars[bars["event_timestamp"].isin(lt_times)])
    print({k: v for k, v in lt.items() if k != "consumer"}, flush=True)
    last = bars[bars["event_timestamp"] == times[-1]]
    baseline = batch_path(root, last.iloc[[0]].reset_index(drop=True))
    print(f"batch path for one bar: {baseline:.1f} s", flush=True)

    bars_per_second = tp["bars"] / tp["seconds"] if tp["seconds"] else 0.0
    loop_after = _cpu_share_seconds()
    write_result(
        "streaming",
        versions=package_versions("feast", "redis", "ta-lib", "numpy", "pandas"),
        setup={
            "symbols": SYMBOLS,
            "replayed_sessions": REPLAY_DAYS,
            "history_days": HISTORY_DAYS,
            "views": "every bar-based view (TA-Lib, microstructure, risk, regime)",
            "online_store": "Redis (AxiomFastRedisOnlineStore)",
            "redis": redis.kind,
            "load_average_at_start": [round(x, 2) for x in load],
            "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
            "python_loop_seconds_at_start_and_end": [loop_before, loop_after],
            "cpus": os.cpu_count(),
        },
        cases=[
            cost_case(
                "latency_500_bars_per_s",
                metric="milliseconds",
                baseline="batch_path",
                baseline_value=baseline * 1000,
                value=lt["p99_ms"],
                peak_rss_mb=lt["consumer"]["rss_mb"],
                goal="p99 <= 50 ms",
                p50_ms=round(lt["p50_ms"], 1),
                samples=lt["samples"],
                unread_within_timeout=lt["unread_within_timeout"],
                published_bars=lt["published"],
                lag_when_publishing_ended=lt["lag_at_end"],
                seconds=LATENCY_SECONDS,
                capped=True,
                cap="the consumer is killed 1 s after publishing ends; unread probes "
                "(10 s timeout) are left out of the percentiles and counted; lake appends "
                "left out",
            ),
            {
                "case": "throughput",
                "metric": "bars_per_second",
                "value": round(bars_per_second, 1),
                "bars": tp["bars"],
                "seconds": round(tp["seconds"], 2),
                "micro_batches": tp["batches"],
                "peak_rss_mb": round(tp["rss_mb"], 1),
                "goal": ">= 2000 bars/s; consumer peak RSS <= 2048 MB",
                "note": "lake and offline appends left out (flush_seconds=3600)",
            },
        ],
    )
    print(f"peak RSS of the benchmark process: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
