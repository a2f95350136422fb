"""The demo's last act: minute bars of a few sessions played as a live feed through the
stream consumer, one online feature watched as it changes, and the end-to-end latency."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from axiom_features.feature_store import open_store
from axiom_features.paths import RepoPaths
from axiom_features.streaming.consumer import ConsumerSettings, StreamConsumer
from axiom_features.streaming.metrics import read_metrics
from axiom_features.streaming.names import bar_stream
from axiom_features.streaming.publisher import publish_bars
from axiom_features.streaming.redis_transport import RedisStreamsTransport
from axiom_features.streaming.server import (
    configured_url,
    start_embedded,
    stop_embedded,
    stream_dir,
)

WATCHED_FEATURE = "ta_momentum:rsi_14"
"""The online feature the demo shows changing as bars arrive."""
WATCH_SECONDS = 0.25
DRAIN_TIMEOUT_SECONDS = 600.0


@dataclass(frozen=True)
class WatchedValue:
    """One reading of the watched feature: when it was read and what it held."""

    seconds: float
    value: float | None
    bar_time: pd.Timestamp | None


@dataclass
class StreamDemoResult:
    source: str
    published: int
    consumed: int
    dead_letters: int
    seconds: float
    latency_p50_ms: float | None
    latency_p99_ms: float | None
    symbol: str
    feature: str
    readings: list[WatchedValue] = field(default_factory=list)
    """Each change of the watched feature's online value, in order."""


def stream_minute_bars(
    root: Path,
    bars: pd.DataFrame,
    *,
    rate: float,
    on_step: Callable[[str], None] = lambda message: None,
) -> StreamDemoResult:
    """Publish ``bars`` at ``rate`` bars/s while a consumer turns them into online features;
    returns when every bar is consumed (the embedded stream server, if this started it, is
    stopped again)."""
    repo = RepoPaths(root)
    store = open_store(root)
    source = f"demo_{store.project}"
    stream = bar_stream(source)
    started_here = configured_url(repo) is None
    url = configured_url(repo) or start_embedded(stream_dir(repo))
    transport = RedisStreamsTransport(url)
    try:
        on_step(f"warming the stream consumer's state from the lake ({stream})")
        consumer = StreamConsumer(
            root, ConsumerSettings(source=source, flush_seconds=5.0), transport=None
        )
        done = threading.Event()
        thread = threading.Thread(
            target=consumer.run, kwargs={"should_stop": done.is_set}, daemon=True
        )
        thread.start()
        symbol = sorted(bars["symbol"].unique())[0]
        readings: list[WatchedValue] = []
        watching = threading.Event()
        watcher = threading.Thread(
            target=_watch, args=(store, symbol, readings, watching), daemon=True
        )
        on_step(f"publishing {len(bars):,} minute bars at {rate:,.0f} bars/s; watching "
                f"{WATCHED_FEATURE} of {symbol}")  # fmt: skip
        began = time.monotonic()
        watcher.start()
        published = publish_bars(transport, stream, bars, source=source, rate=rate)
        _wait_consumed(transport, stream, consumer, published.bars, thread)
        seconds = time.monotonic() - began
        watching.set()
        watcher.join(timeout=30)
        done.set()
        thread.join(timeout=120)
        metrics = read_metrics(transport.client, stream)
        return StreamDemoResult(
            source=source,
            published=published.bars,
            consumed=consumer.report.bars,
            dead_letters=consumer.report.dead_letters,
            seconds=seconds,
            latency_p50_ms=metrics.latency_p50_ms,
            latency_p99_ms=metrics.latency_p99_ms,
            symbol=symbol,
            feature=WATCHED_FEATURE,
            readings=readings,
        )
    finally:
        transport.client.close()
        if started_here:
            stop_embedded(stream_dir(repo))


def _wait_consumed(
    transport: RedisStreamsTransport,
    stream: str,
    consumer: StreamConsumer,
    published: int,
    thread: threading.Thread,
) -> None:
    """Until the consumer has taken every published bar (online or dead-lettered)."""
    deadline = time.monotonic() + DRAIN_TIMEOUT_SECONDS
    while time.monotonic() < deadline and thread.is_alive():
        report = consumer.report
        if report.bars + report.dead_letters + report.consumed_again >= published:
            return
        time.sleep(0.05)
    if not thread.is_alive():
        raise RuntimeError(f"the stream consumer of {stream} stopped before the feed ended")
    raise TimeoutError(f"the stream consumer of {stream} did not keep up within the timeout")


def _watch(store, symbol: str, readings: list[WatchedValue], stop: threading.Event) -> None:  # noqa: ANN001
    """Read the watched feature until ``stop``; keep each change."""
    began = time.monotonic()
    name = WATCHED_FEATURE.split(":")[1]
    while True:
        found = store.get_online_features(
            features=[WATCHED_FEATURE], entity_rows=[{"symbol": symbol}]
        ).to_dict(include_event_timestamps=True)
        value = found[name][0]
        stamp = found.get(f"{name}__ts", [None])[0]
        bar_time = pd.Timestamp(stamp, unit="s", tz="UTC") if stamp else None
        if not readings or readings[-1].bar_time != bar_time:
            readings.append(WatchedValue(time.monotonic() - began, value, bar_time))
        if stop.wait(WATCH_SECONDS):
            return
