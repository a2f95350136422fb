"""The bar stream end to end: values equal the batch, bad bars are dead-lettered with their
rule, and neither a consumer killed with SIGKILL nor a restarted Redis changes the result.

Consumers run in forked processes (the parent has imported Feast once), so a kill is a real
``kill -9`` of a running consumer; a clean run of the same stream into a copy of the same
repo is the reference. ``AXIOM_STREAM_KILL_DAYS`` sets how many sessions are replayed under
the kills (default 60 sessions × 4 symbols; the issue's 50,000 bars is 12,500).
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import redis

from axiom_features.incremental.state import bar_views
from axiom_features.paths import RepoPaths
from axiom_features.pipeline.transform_job import run_transform_job
from axiom_features.streaming.consumer import ConsumerSettings, StreamConsumer
from axiom_features.streaming.messages import encode_bars
from axiom_features.streaming.metrics import read_metrics
from axiom_features.streaming.names import GROUP, bar_stream
from axiom_features.streaming.publisher import publish_bars
from axiom_features.streaming.redis_transport import RedisStreamsTransport
from axiom_features.streaming.server import start_embedded, stream_dir
from axiom_features.streaming.status import stream_status
from monitoring.alerts import Observations, StreamRule, evaluate
from tests.stream_fixtures import (
    SYMBOLS,
    StreamWorld,
    assert_same_features,
    build_world,
    copy_world,
    lake_bars,
    offline_rows,
    online_values,
)

pytestmark = pytest.mark.redis

KILLS = 10
KILL_DAYS = int(os.environ.get("AXIOM_STREAM_KILL_DAYS", "60"))
FORK = multiprocessing.get_context("fork")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> StreamWorld:
    return build_world(tmp_path_factory.mktemp("stream"), redis_url, KILL_DAYS, db=7)


def _source() -> str:
    return f"t{os.getpid()}{random.randrange(10**9)}"


def _consume(root: Path, url: str, settings: ConsumerSettings) -> None:
    StreamConsumer(root, settings, RedisStreamsTransport(url)).run()


def _settings(source: str, **changes) -> ConsumerSettings:  # noqa: ANN003
    base = {"source": source, "idle_exit_seconds": 1.0, "batch_size": 25, "flush_seconds": 1.0}
    return ConsumerSettings(**{**base, **changes})


def _published(transport: RedisStreamsTransport, source: str, bars: pd.DataFrame) -> None:
    publish_bars(transport, bar_stream(source), bars, source="synthetic")


def test_streamed_values_equal_the_batch_transform(world, redis_url, tmp_path) -> None:
    w = copy_world(world, tmp_path / "repo", redis_url, db=8)
    source, transport = _source(), RedisStreamsTransport(redis_url)
    live = w.live[w.live["event_timestamp"] <= np.sort(w.live["event_timestamp"].unique())[19]]
    _published(transport, source, live)
    report = StreamConsumer(w.root, _settings(source), transport).run()
    assert report.bars == len(live) and report.dead_letters == 0

    streamed = {(v.name, s): offline_rows(w.root, v.name, s) for v in bar_views() for s in SYMBOLS}
    online = online_values(w.root)
    run_transform_job(RepoPaths(w.root), views=[v.name for v in bar_views()], workers=1)
    last_rows = []
    for symbol in SYMBOLS:
        parts = [offline_rows(w.root, v.name, symbol).iloc[[-1]] for v in bar_views()]
        last_rows.append(
            pd.concat(
                [p.drop(columns=["event_timestamp"]).set_index("symbol") for p in parts], axis=1
            )
        )
        for view in bar_views():
            batch = offline_rows(w.root, view.name, symbol).set_index("event_timestamp")
            stream = streamed[(view.name, symbol)].set_index("event_timestamp")
            assert list(stream.index) == list(batch.index), f"{view.name}/{symbol}: rows differ"
            assert_same_features(
                stream.drop(columns=["symbol"]).assign(symbol=0).set_index("symbol", append=True),
                batch.drop(columns=["symbol"]).assign(symbol=0).set_index("symbol", append=True),
                views=[view],
            )
    assert_same_features(online, pd.concat(last_rows).sort_index())


def test_bad_bars_go_to_the_dead_letter_stream_with_their_rule(world, redis_url, tmp_path):
    w = copy_world(world, tmp_path / "repo", redis_url, db=9)
    source, transport = _source(), RedisStreamsTransport(redis_url)
    day = w.live[w.live["event_timestamp"] == w.live["event_timestamp"].min()]
    good = day[day["symbol"] != "DVN"]
    broken = day[day["symbol"] == "DVN"].assign(high=1.0)  # high below open, close, low
    conflicting = good.iloc[[0]].assign(close=good["close"].iloc[0] * 1.01)
    old = w.history[w.history["symbol"] == "AXM"].iloc[[-5]]
    old = old.assign(event_timestamp=old["event_timestamp"] - pd.Timedelta(hours=1))
    messages = encode_bars(pd.concat([good, broken, conflicting, old]), "synthetic")
    messages.append({k: v for k, v in messages[0].items() if k != "close"})
    transport.publish(bar_stream(source), messages)

    report = StreamConsumer(w.root, _settings(source), transport).run()
    rules = sorted(m.fields["dead_rule"] for m in transport.dead_letters(bar_stream(source)))
    assert rules == sorted(["high_is_max", "duplicate", "out_of_order", "missing:close"])
    assert report.bars == len(good) and report.dead_letters == 4
    status = transport.status(bar_stream(source), GROUP)
    assert status.pending == 0 and status.lag == 0

    seen = stream_status(RepoPaths(w.root), source, redis_url)
    assert seen.metrics.dead_letters == 4 and seen.metrics.bars == len(good)
    assert seen.dead_letter_rules["duplicate"] == 1
    observed = {"source": source, "lag": seen.group.lag, "dead_letters": 4}
    alerts = evaluate([StreamRule()], Observations(streams=[observed]))
    assert [a.key for a in alerts] == [f"stream_dead_letters:{source}"]


def _progress(transport: RedisStreamsTransport, stream: str) -> tuple:
    """What changes when a consumer does anything: delivery, acknowledgement, processing."""
    status = transport.status(stream, GROUP)
    m = read_metrics(transport.client, stream)
    return status.last_delivered, status.pending, m.bars + m.consumed_again + m.dead_letters


def _wait_for_progress(
    transport: RedisStreamsTransport,
    stream: str,
    before: tuple,
    child,
    seconds: float,  # noqa: ANN001
) -> None:
    """Until the consumer did something, or ``seconds`` passed (it may have nothing to do)."""
    deadline = time.monotonic() + seconds
    while child.is_alive() and time.monotonic() < deadline:
        if _progress(transport, stream) != before:
            return
        time.sleep(0.02)


def _assert_same_stores(got: StreamWorld, clean: StreamWorld, published: int) -> None:
    lake = lake_bars(got.root)
    assert not lake.duplicated(["symbol", "event_timestamp"]).any(), "a bar is stored twice"
    assert len(lake) == len(got.history) + published, "an acknowledged bar is missing"
    reference = lake_bars(clean.root)
    pd.testing.assert_frame_equal(lake.reset_index(drop=True), reference.reset_index(drop=True))
    assert_same_features(online_values(got.root), online_values(clean.root))
    for view in bar_views():
        for symbol in SYMBOLS:
            a, b = (
                offline_rows(got.root, view.name, symbol),
                offline_rows(clean.root, view.name, symbol),
            )
            assert list(a["event_timestamp"]) == list(b["event_timestamp"]), view.name
            assert_same_features(
                a.set_index(["event_timestamp", "symbol"]),
                b.set_index(["event_timestamp", "symbol"]),
                views=[view],
            )


def test_a_consumer_killed_ten_times_gives_the_stores_of_a_clean_run(world, redis_url, tmp_path):
    got = copy_world(world, tmp_path / "killed", redis_url, db=10)
    clean = copy_world(world, tmp_path / "clean", redis_url, db=11)
    source, transport = _source(), RedisStreamsTransport(redis_url)
    stream = bar_stream(source)
    _published(transport, source, got.live)
    StreamConsumer(clean.root, _settings(source, group="clean"), transport).run()

    rng = random.Random(11)
    kills = 0
    while kills < KILLS:
        name = "a" if kills % 2 == 0 else "b"  # the next one claims the killed one's bars
        settings = _settings(source, consumer=name, claim_idle_ms=200, idle_exit_seconds=None)
        before = _progress(transport, stream)
        child = FORK.Process(target=_consume, args=(got.root, redis_url, settings))
        child.start()
        _wait_for_progress(transport, stream, before, child, seconds=5.0)
        time.sleep(rng.uniform(0.0, 0.6))
        assert child.is_alive(), "the consumer ended before it was killed"
        os.kill(child.pid, signal.SIGKILL)
        child.join()
        assert child.exitcode == -signal.SIGKILL
        kills += 1
    final = FORK.Process(
        target=_consume, args=(got.root, redis_url, _settings(source, claim_idle_ms=0))
    )
    final.start()
    final.join(timeout=300)
    assert final.exitcode == 0

    status = transport.status(stream, GROUP)
    assert status.pending == 0 and status.lag == 0
    _assert_same_stores(got, clean, len(got.live))


def test_a_redis_restart_mid_stream_loses_nothing(world, redis_url, tmp_path):
    got = copy_world(world, tmp_path / "restarted", redis_url, db=12)
    clean = copy_world(world, tmp_path / "clean", redis_url, db=13)
    folder = stream_dir(RepoPaths(tmp_path / "server"))
    url = start_embedded(folder)
    try:
        transport, source = RedisStreamsTransport(url), _source()
        half = len(got.live) // 2
        _published(transport, source, got.live.iloc[:half])
        settings = _settings(source, batch_size=10, idle_exit_seconds=3.0)
        before = _progress(transport, bar_stream(source))
        child = FORK.Process(target=_consume, args=(got.root, url, settings))
        child.start()
        _wait_for_progress(transport, bar_stream(source), before, child, seconds=60.0)
        time.sleep(0.3)
        pid = int((folder / "redis.pid").read_text())
        os.kill(pid, signal.SIGKILL)  # a crash: only the append-only file survives
        time.sleep(0.5)
        start_embedded(folder)
        transport = RedisStreamsTransport(url)
        _published(transport, source, got.live.iloc[half:])
        child.join(timeout=300)
        assert child.exitcode == 0
        StreamConsumer(clean.root, _settings(source, group="clean"), transport).run()
        status = transport.status(bar_stream(source), GROUP)
        assert status.length == len(got.live)
        assert status.pending == 0 and status.lag == 0
        _assert_same_stores(got, clean, len(got.live))
    finally:
        try:
            redis.Redis.from_url(url).shutdown(nosave=True)
        except redis.ConnectionError:
            pass


def test_the_sqlite_online_store_ends_with_each_symbols_newest_row(world, redis_url, tmp_path):
    """The embedded default's online store: micro-batches of several bars per symbol leave
    the newest row of each symbol online, as the batch transform's last row."""
    from axiom_features.pipeline import jobs
    from tests.stream_fixtures import SQLITE_ONLINE

    w = copy_world(world, tmp_path / "repo", redis_url, db=9)
    yaml = w.root / "feature_store.yaml"
    text = yaml.read_text()
    start = text.index("  type: axiom_features.online.fast_store")
    end = text.index("\n", text.index("  url: ", start)) + 1
    yaml.write_text(text[:start] + SQLITE_ONLINE + text[end:])
    jobs.apply(w.root)
    source, transport = _source(), RedisStreamsTransport(redis_url)
    live = w.live[w.live["event_timestamp"] <= np.sort(w.live["event_timestamp"].unique())[11]]
    _published(transport, source, live)
    report = StreamConsumer(w.root, _settings(source), transport).run()
    assert report.bars == len(live) and report.batches < len(live) / len(SYMBOLS)

    online = online_values(w.root)
    run_transform_job(RepoPaths(w.root), views=[v.name for v in bar_views()], workers=1)
    last_rows = [
        pd.concat(
            [
                offline_rows(w.root, v.name, symbol)
                .iloc[[-1]]
                .drop(columns=["event_timestamp"])
                .set_index("symbol")
                for v in bar_views()
            ],
            axis=1,
        )
        for symbol in SYMBOLS
    ]
    assert_same_features(online, pd.concat(last_rows).sort_index())
