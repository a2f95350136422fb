"""The consumer's live figures (bars/s, end-to-end latency, dead letters), kept in the
stream's Redis as one hash per stream so that ``axiom stream status`` and ``axiom health``
read them from any process."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass

import numpy as np
import redis

WINDOW_SECONDS = 10.0
LATENCY_SAMPLES = 2000


def metrics_key(stream: str) -> str:
    return f"{stream}:metrics"


@dataclass(frozen=True)
class StreamMetrics:
    """What the consumers of one stream reported last."""

    bars: int
    consumed_again: int
    dead_letters: int
    gaps: int
    bars_per_second: float
    latency_p50_ms: float | None
    latency_p99_ms: float | None
    updated_at: float | None
    """Epoch seconds of the last report (None: no consumer ever reported)."""


class MetricsRecorder:
    """Counts a consumer's bars and latencies; writes a summary after each micro-batch."""

    def __init__(self, client: redis.Redis, stream: str) -> None:
        self.client = client
        self.key = metrics_key(stream)
        self.latencies: deque[float] = deque(maxlen=LATENCY_SAMPLES)
        self.recent: deque[tuple[float, int]] = deque()

    def record(
        self, *, bars: int, consumed: int, dead: int, gaps: int, latencies_ms: np.ndarray
    ) -> None:
        now = time.time()
        self.latencies.extend(latencies_ms.tolist())
        self.recent.append((now, bars))
        while self.recent and self.recent[0][0] < now - WINDOW_SECONDS:
            self.recent.popleft()
        span = max(now - self.recent[0][0], 1.0) if len(self.recent) > 1 else WINDOW_SECONDS
        rate = sum(n for _, n in self.recent) / span
        summary: dict[str, float | int] = {"bars_per_second": rate, "updated_at": now}
        if self.latencies:
            samples = np.fromiter(self.latencies, dtype=np.float64)
            summary["latency_p50_ms"] = float(np.percentile(samples, 50))
            summary["latency_p99_ms"] = float(np.percentile(samples, 99))
        with self.client.pipeline(transaction=False) as pipe:
            pipe.hincrby(self.key, "bars", bars)
            pipe.hincrby(self.key, "consumed_again", consumed)
            pipe.hincrby(self.key, "dead_letters", dead)
            pipe.hincrby(self.key, "gaps", gaps)
            pipe.hset(self.key, mapping=summary)
            pipe.execute()


def read_metrics(client: redis.Redis, stream: str) -> StreamMetrics:
    raw = {k.decode(): v.decode() for k, v in client.hgetall(metrics_key(stream)).items()}

    def number(name: str) -> float | None:
        return float(raw[name]) if name in raw else None

    return StreamMetrics(
        bars=int(raw.get("bars", 0)),
        consumed_again=int(raw.get("consumed_again", 0)),
        dead_letters=int(raw.get("dead_letters", 0)),
        gaps=int(raw.get("gaps", 0)),
        bars_per_second=float(raw.get("bars_per_second", 0.0)),
        latency_p50_ms=number("latency_p50_ms"),
        latency_p99_ms=number("latency_p99_ms"),
        updated_at=number("updated_at"),
    )
