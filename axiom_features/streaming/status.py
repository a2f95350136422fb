"""Where a bar stream stands: consumer lag, pending bars, bars/s, latency, dead letters."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any

from axiom_features.paths import RepoPaths
from axiom_features.streaming.consumer import GROUP, bar_stream
from axiom_features.streaming.metrics import StreamMetrics, read_metrics
from axiom_features.streaming.redis_transport import RedisStreamsTransport
from axiom_features.streaming.server import stream_url
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
