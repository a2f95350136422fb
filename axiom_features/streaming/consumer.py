"""``axiom stream run``: bars from the stream to online features, the lake and offline tables.

Per micro-batch (the messages one read returns): decode → sequence rules (duplicate, out of
order, gap) → the batch gate's row rules (on arrays: :mod:`.row_checks`) → incremental
features (every symbol of the batch at once) → online store (one pipelined write) →
acknowledge. The last two run on an ordered writer thread (:mod:`.writer`) while the next
micro-batch is computed. Accepted bars and their feature rows are appended to the lake and
the offline tables every ``flush_seconds`` (and when the consumer stops), in one transaction
with the stream position they reach, on a background thread while the consumer goes on
(rewriting a symbol's files per bar would cost more than everything else together).

A bar joins the market row of its time, which changes the market-reading features (risk,
regime) of the other symbols' rows at that time. Those rows are revised once the stream has
moved past that time (a bar of a later time arrived), when the stream is idle, after
``revise_seconds`` at most, and always before a flush: one evaluation per session rather
than one per micro-batch. Until then they hold the values computed from the bars seen when
they were written.

A bar is acknowledged only after its features are online, so a consumer killed at any point
leaves its bars pending: at restart it takes its own pending bars first, and any consumer
claims those of a consumer idle longer than ``claim_idle_ms`` (``XAUTOCLAIM``). At start the
state is warmed from the lake and the stream is re-read after the lake's stored position up
to the group's last delivered message (bars acknowledged but not yet stored), so the state,
the lake and the online store continue exactly where an uninterrupted run would be. A
redelivered bar that the state already holds with the same values is only acknowledged.
Failing bars go to the dead-letter stream with the rule that failed.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import redis

from axiom_features.contracts import BAR_SCHEMA
from axiom_features.incremental import state as incremental
from axiom_features.lakes.bars import BarLake
from axiom_features.lakes.transaction import recover
from axiom_features.lineage.hooks import recorded_log
from axiom_features.paths import RepoPaths
from axiom_features.pipeline.jobs import open_store
from axiom_features.streaming.lake_sink import append_stream_bars, stored_position
from axiom_features.streaming.messages import decode_batch, published_ns
from axiom_features.streaming.metrics import MetricsRecorder
from axiom_features.streaming.names import GROUP, bar_stream
from axiom_features.streaming.online_sink import OnlineSink
from axiom_features.streaming.redis_transport import RedisStreamsTransport
from axiom_features.streaming.row_checks import failed_rules
from axiom_features.streaming.sequence_rules import Verdict, check_sequence
from axiom_features.streaming.server import stream_url
from axiom_features.streaming.transport import BarTransport, Message
from axiom_features.streaming.writer import RECONNECT_PAUSE, OrderedWriter


def default_consumer_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


@dataclass(frozen=True)
class ConsumerSettings:
    """How ``axiom stream run`` consumes one bar source."""

    source: str = "live"
    group: str = GROUP
    consumer: str = field(default_factory=default_consumer_name)
    profile: str = "default"
    batch_size: int = 2000
    """Most messages taken per micro-batch."""
    block_ms: int = 100
    claim_idle_ms: int = 30_000
    max_gap: timedelta = timedelta(days=5)
    idle_exit_seconds: float | None = None
    """Stop after this long without a message (None: run until stopped)."""
    start: str | None = None
    """Replay: deliver again every message after this stream id."""
    flush_seconds: float = 30.0
    """How often accepted bars are appended to the lake and the offline tables."""
    reconnect_seconds: float = 60.0
    """How long a lost connection to the stream is retried before the consumer stops."""
    revise_seconds: float = 2.0
    """Longest wait before rows changed by later bars of their time are revised."""


@dataclass
class ConsumerReport:
    bars: int = 0
    consumed_again: int = 0
    dead_letters: int = 0
    gaps: int = 0
    batches: int = 0


class StreamConsumer:
    """One consumer of one bar source, writing into the feature repo at ``root``."""

    def __init__(
        self, root: Path, settings: ConsumerSettings, transport: BarTransport | None = None
    ) -> None:
        self.root = root
        self.repo = RepoPaths(root)
        self.settings = settings
        self.stream = bar_stream(settings.source)
        self.transport = transport or RedisStreamsTransport(stream_url(self.repo))
        recover(self.repo)
        self.state = incremental.warm(_lake_bars(self.repo))
        self.online = OnlineSink(open_store(root, settings.profile), self.state.views)
        client = getattr(self.transport, "client", None)
        self.metrics = MetricsRecorder(client, self.stream) if client is not None else None
        self.report = ConsumerReport()
        self.run_id = ""
        self.unstored: list[tuple[pd.DataFrame, pd.DataFrame]] = []
        self.position: str | None = None
        self.flushed_at = time.monotonic()
        self._flushing: threading.Thread | None = None
        self._flush_error: BaseException | None = None
        self.unrevised_since: float | None = None
        """When rows first waited for a revision (monotonic seconds; None: none waits)."""
        self.writer = OrderedWriter(settings.reconnect_seconds)
        """Online writes, dead letters and acknowledgements, in order, beside the compute."""

    def run(self, should_stop: Callable[[], bool] = lambda: False) -> ConsumerReport:
        s = self.settings
        log = recorded_log(self.root)
        parameters = {"stream": self.stream, "group": s.group, "consumer": s.consumer}
        with log.track("stream run", parameters=parameters) as record:
            self.run_id = record.run_id
            record.inputs.append(f"stream:{self.stream}")
            self.transport.ensure_group(self.stream, s.group)
            self._catch_up()
            if s.start is not None:
                self.transport.rewind(self.stream, s.group, s.start)
            try:
                self._consume(should_stop)
                self.writer.settle()
                self.flush()
            finally:
                self.writer.close()
            record.row_counts.update(
                bars=self.report.bars,
                consumed_again=self.report.consumed_again,
                dead_letters=self.report.dead_letters,
            )
            record.outputs.extend(["lake:bars", *(f"online:{v.name}" for v in self.state.views)])
        return self.report

    def _consume(self, should_stop: Callable[[], bool]) -> None:
        """The main loop; a lost connection to the stream is retried for ``reconnect_seconds``."""
        s = self.settings
        idle_since = time.monotonic()
        last_claim = 0.0
        lost_since: float | None = None
        own_pending = True
        while not should_stop():
            try:
                if own_pending:
                    self._drain(
                        lambda: self.transport.pending_of(
                            self.stream, s.group, s.consumer, s.batch_size
                        )
                    )
                    own_pending = False
                if time.monotonic() - last_claim > s.claim_idle_ms / 1000:
                    last_claim = time.monotonic()
                    self._drain(self._claim)
                messages = self.transport.read(
                    self.stream, s.group, s.consumer, s.batch_size, s.block_ms
                )
                lost_since = None
            except redis.ConnectionError:
                now = time.monotonic()
                lost_since = lost_since or now
                if now - lost_since > s.reconnect_seconds:
                    raise
                own_pending = True
                time.sleep(RECONNECT_PAUSE)
                continue
            if messages:
                try:
                    self.process(messages)
                except redis.ConnectionError:
                    own_pending = True  # not acknowledged: delivered again once back
                    continue
                idle_since = time.monotonic()
            else:
                try:
                    self.revise()
                except redis.ConnectionError:
                    continue
                if s.idle_exit_seconds is not None and (
                    time.monotonic() - idle_since > s.idle_exit_seconds
                ):
                    break
            if time.monotonic() - self.flushed_at > s.flush_seconds:
                try:
                    self.flush(wait=False)
                except redis.ConnectionError:
                    continue  # nothing was taken from what waits to be stored

    def _catch_up(self) -> None:
        """Re-apply the bars acknowledged after the lake's stored position (not stored yet)."""
        status = self.transport.status(self.stream, self.settings.group)
        after = stored_position(self.repo, self.settings.source) or "0-0"
        while _before(after, status.last_delivered):
            messages = self.transport.after(self.stream, after, status.last_delivered, 1000)
            if not messages:
                break
            self.process(messages, catching_up=True)
            after = messages[-1].id

    def revise(self) -> None:
        """Write again the rows that later bars of their time changed (see the module)."""
        since = self.state.revise_from
        if since is None:
            return
        revised = incremental.revise(self.state)
        latest = _latest_rows(self.state, revised)
        self.unrevised_since = None
        if len(revised):
            self.unstored.append((_NO_BARS, revised))
        self.writer.submit(lambda: self.online.rewrite(latest))

    def flush(self, wait: bool = True) -> None:
        """Append the accepted bars and feature rows not stored yet, with their position.

        ``wait=False`` stores them on a background thread while the consumer goes on (one
        flush at a time, in order; while one runs, the next waits for the following call).
        A flush holds a prefix of the stream up to its position, so a consumer killed at any
        point resumes from the last complete one.
        """
        if not wait and self._flushing is not None and self._flushing.is_alive():
            return
        self._join_flush()
        self.flushed_at = time.monotonic()
        if self.position is None:
            return
        self.revise()
        self.writer.settle()  # the lake never holds bars whose features are not online yet
        bars = [b for b, _ in self.unstored if len(b)]
        features = [f for _, f in self.unstored if len(f)]
        position, run_id = self.position, self.run_id or "stream"
        self.unstored, self.position = [], None

        def store() -> None:
            created = pd.Timestamp(datetime.now(UTC)).floor("us").to_pydatetime()
            append_stream_bars(
                self.repo,
                run_id,
                pd.concat(bars, ignore_index=True) if bars else None,
                features,
                self.state.views,
                created,
                self.settings.source,
                position,
            )

        if wait:
            store()
            return
        self._flushing = threading.Thread(target=self._guarded, args=(store,), daemon=True)
        self._flushing.start()

    def _guarded(self, store: Callable[[], None]) -> None:
        try:
            store()
        except BaseException as exc:  # raised again in the consumer's thread
            self._flush_error = exc

    def _join_flush(self) -> None:
        """Wait for a background flush; raise what it raised."""
        if self._flushing is not None:
            self._flushing.join()
            self._flushing = None
        if self._flush_error is not None:
            error, self._flush_error = self._flush_error, None
            raise error

    def _claim(self) -> list[Message]:
        s = self.settings
        return self.transport.claim_stale(
            self.stream, s.group, s.consumer, s.claim_idle_ms, s.batch_size
        )

    def _drain(self, fetch: Callable[[], list[Message]]) -> None:
        """Process what ``fetch`` returns until it returns nothing (it returns messages still
        pending: each batch is acknowledged before the next fetch)."""
        while messages := fetch():
            self.process(messages)
            self.writer.settle()

    def process(self, messages: list[Message], catching_up: bool = False) -> None:
        """Carry one micro-batch through every step and acknowledge it.

        ``catching_up``: the messages were acknowledged before (re-read after the lake's
        position): nothing goes to the dead-letter stream or is acknowledged again.
        """
        frame, kept, undecodable = decode_batch(messages)
        dead = [(message, exc.rule, str(exc)) for message, exc in undecodable]
        sequence = check_sequence(self.state, frame, pd.Timedelta(self.settings.max_gap))
        fresh = np.array([v is Verdict.FRESH for v in sequence.verdicts], dtype=bool)
        consumed = sum(v is Verdict.CONSUMED for v in sequence.verdicts)
        for i, verdict in enumerate(sequence.verdicts):
            if verdict in (Verdict.DUPLICATE, Verdict.OUT_OF_ORDER):
                dead.append((kept[i], verdict.value, _describe(frame.iloc[i], verdict.value)))
        created = pd.Timestamp(datetime.now(UTC)).floor("us")
        candidates = _contract(frame[fresh], created)
        accepted = candidates
        fresh_messages = [kept[i] for i in np.flatnonzero(fresh)]
        if len(candidates):
            labels = failed_rules(candidates)
            failing = labels != ""
            for position in np.flatnonzero(failing):
                rules = str(labels[position])
                row = candidates.iloc[position]
                dead.append((fresh_messages[position], rules, _describe(row, rules)))
            accepted = candidates[~failing]
        waiting = self.state.revise_from
        features = incremental.update(self.state, accepted)
        if len(accepted):
            self.unstored.append((accepted.assign(ingest_run=self.run_id or None), features))
        self.position = messages[-1].id
        sent = published_ns([fresh_messages[i] for i in accepted.index])
        sent = sent[sent > 0]
        counts = (len(accepted), consumed, len(dead), len(sequence.gaps))
        ids = [m.id for m in messages]

        def deliver() -> None:
            self.online.write(features)
            done = time.time_ns()
            if not catching_up:
                for message, rule, detail in dead:
                    self.transport.dead_letter(self.stream, message, rule, detail)
                self.transport.ack(self.stream, self.settings.group, ids)
            self._count(*counts, done - sent)

        self.writer.submit(deliver)
        self._revise_when_due(waiting, accepted)

    def _revise_when_due(self, waiting: int | None, accepted: pd.DataFrame) -> None:
        """Revise once the stream moved past the rows waiting (``waiting``: the oldest time
        waiting before this micro-batch), or when they waited ``revise_seconds``."""
        pending = self.state.revise_from
        if pending is None:
            return
        now = time.monotonic()
        self.unrevised_since = self.unrevised_since or now
        newest = _newest_ns(accepted)
        moved_on = waiting is not None and newest is not None and newest > waiting
        if moved_on or now - self.unrevised_since > self.settings.revise_seconds:
            self.revise()

    def _count(
        self, accepted: int, consumed: int, dead: int, gaps: int, latency_ns: np.ndarray
    ) -> None:
        r = self.report
        r.bars += accepted
        r.consumed_again += consumed
        r.dead_letters += dead
        r.gaps += gaps
        r.batches += 1
        if self.metrics is not None:
            self.metrics.record(
                bars=accepted,
                consumed=consumed,
                dead=dead,
                gaps=gaps,
                latencies_ms=latency_ns / 1e6,
            )


_PRICES = ("open", "high", "low", "close", "volume")
_NO_BARS = pd.DataFrame(columns=[*BAR_SCHEMA.names, "ingest_run"])


def _newest_ns(bars: pd.DataFrame) -> int | None:
    if bars.empty:
        return None
    return int(pd.DatetimeIndex(bars["event_timestamp"]).as_unit("ns").asi8.max())


def _contract(bars: pd.DataFrame, created: pd.Timestamp) -> pd.DataFrame:
    """Bars in the bar contract's columns, index 0..n-1 (positions among the fresh bars)."""
    out = bars.reset_index(drop=True).copy()
    out["event_timestamp"] = pd.to_datetime(out["event_timestamp"], utc=True).astype(
        "datetime64[us, UTC]"
    )
    out["created_timestamp"] = pd.Series([created] * len(out), dtype="datetime64[us, UTC]")
    return out[BAR_SCHEMA.names]


def _latest_rows(state: incremental.IncrementalState, rows: pd.DataFrame) -> pd.DataFrame:
    """The rows that are their symbol's newest bar (a revision of an older row stays offline)."""
    if rows.empty:
        return rows
    newest = {s: state.last_time(s) for s in rows["symbol"].unique()}
    stamps = pd.to_datetime(rows["event_timestamp"], utc=True)
    return rows[stamps.to_numpy() == rows["symbol"].map(newest).to_numpy()]


def _before(a: str, b: str) -> bool:
    """Whether stream id ``a`` comes before ``b``."""
    return tuple(int(p) for p in a.split("-")) < tuple(int(p) for p in b.split("-"))


def _describe(row: pd.Series, rule: str) -> str:
    return f"{row['symbol']} at {pd.Timestamp(row['event_timestamp']).isoformat()}: {rule}"


def _lake_bars(repo: RepoPaths) -> pd.DataFrame:
    table = BarLake(repo).read()
    columns = ["symbol", "event_timestamp", *_PRICES]
    return table.select(columns).to_pandas() if table.num_rows else pd.DataFrame(columns=columns)


def run_consumer(
    root: Path, settings: ConsumerSettings, transport: BarTransport | None = None
) -> ConsumerReport:
    """Consume ``settings.source`` until stopped (or idle for ``idle_exit_seconds``)."""
    return StreamConsumer(root, settings, transport).run()


def start_position(root: Path, source: str, text: str) -> str:
    """A replay start: a stream id as given, or the position before the first bar published
    at or after a time (ISO 8601; naive is UTC)."""
    if re.fullmatch(r"\d+(-\d+)?", text.strip()):
        return text.strip()
    try:
        when = pd.Timestamp(text)
    except ValueError:
        raise ValueError(f"--from {text!r}: neither a stream id nor a time") from None
    when = when.tz_localize("UTC") if when.tzinfo is None else when.tz_convert("UTC")
    transport = RedisStreamsTransport(stream_url(RepoPaths(root)))
    return transport.id_at(bar_stream(source), int(when.value // 1_000_000))
