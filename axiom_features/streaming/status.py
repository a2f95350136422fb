"""Where a bar stream stands: consumer lag, pending bars, bars/s, latency, dead letters."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any

from axiom_features.paths import RepoPaths
from axiom_features.streaming.metrics import StreamMetrics, read_metrics
from axiom_features.streaming.names import GROUP, bar_stream, consumed_sources
from axiom_features.streaming.redis_transport import RedisStreamsTransport
from axiom_features.streaming.server import configured_url, stream_url
from axiom_features.streaming.transport import GroupStatus


@dataclass(frozen=True)
class StreamStatus:
    source: str
    group: GroupStatus
    metrics: StreamMetrics
    dead_letter_rules: dict[str, int]
    """Recent dead letters (the last 1,000) by the rule that failed."""

    @property
    def seconds_since_report(self) -> float | None:
        updated = self.metrics.updated_at
        return None if updated is None else max(0.0, time.time() - updated)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            **asdict(self.group),
            **asdict(self.metrics),
            "dead_letter_rules": self.dead_letter_rules,
            "seconds_since_report": self.seconds_since_report,
        }


def stream_status(repo: RepoPaths, source: str, url: str | None = None) -> StreamStatus:
    """The status of the stream of ``source`` (its consumer group :data:`GROUP`)."""
    transport = RedisStreamsTransport(url or stream_url(repo))
    stream = bar_stream(source)
    dead = Counter(m.fields.get("dead_rule", "?") for m in transport.dead_letters(stream, 1000))
    return StreamStatus(
        source=source,
        group=transport.status(stream, GROUP),
        metrics=read_metrics(transport.client, stream),
        dead_letter_rules=dict(dead),
    )


def known_sources(repo: RepoPaths, url: str | None = None) -> list[str]:
    """Bar sources that have a stream on the server."""
    transport = RedisStreamsTransport(url or stream_url(repo))
    prefix = bar_stream("")
    names = (k.decode() for k in transport.client.scan_iter(match=f"{prefix}*", _type="stream"))
    return sorted({n[len(prefix) :] for n in names if not n.endswith(":dead")})


MAX_LAG = 1_000
"""More bars than this waiting for the consumers is a warning."""
MAX_P99_MS = 50.0
"""The intraday SLA: publish to online in at most this many milliseconds at the 99th percentile."""
SILENT_SECONDS = 300.0
"""Bars waiting and no consumer report for this long: the consumers are down."""


def stream_health(repo: RepoPaths) -> list[tuple[StreamStatus, str, str]]:
    """The status of each stream this repo consumes, with a verdict (ok / warn / critical)
    and its reason. Empty when the repo consumes no stream or no stream server is configured
    and the embedded one is not running."""
    sources = consumed_sources(repo)
    url = configured_url(repo) if sources else None
    if url is None:
        return []
    verdicts = []
    for source in sources:
        status = stream_status(repo, source, url)
        verdicts.append((status, *_verdict(status)))
    return verdicts


def _verdict(status: StreamStatus) -> tuple[str, str]:
    m, lag = status.metrics, status.group.lag + status.group.pending
    p99 = "n/a" if m.latency_p99_ms is None else f"{m.latency_p99_ms:.1f} ms"
    detail = (
        f"lag {lag:,} bars, {m.bars_per_second:,.0f} bars/s, p99 {p99}, "
        f"{m.dead_letters:,} dead letters"
    )
    silent = status.seconds_since_report
    if lag and (silent is None or silent > SILENT_SECONDS):
        return "critical", f"{detail}; no consumer has reported for {silent or 0:.0f} s"
    if lag > MAX_LAG or m.dead_letters:
        return "warn", detail
    if m.latency_p99_ms is not None and m.latency_p99_ms > MAX_P99_MS:
        return "warn", f"{detail} (SLA {MAX_P99_MS:.0f} ms)"
    return "ok", detail
