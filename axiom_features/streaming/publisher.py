"""Publishing bars to the stream: a function, and a file played as a live feed at N bars/s."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from axiom_features.ingest.normalize import normalize
from axiom_features.ingest.sources import read_source
from axiom_features.streaming.messages import encode_bars
from axiom_features.streaming.transport import BarTransport

TICK_SECONDS = 0.01
"""A paced publisher sends what is due every this many seconds."""
MAX_PIPELINE = 1000


@dataclass(frozen=True)
class PublishResult:
    bars: int
    seconds: float
    first_id: str | None
    last_id: str | None


def publish_bars(
    transport: BarTransport,
    stream: str,
    bars: pd.DataFrame,
    *,
    source: str,
    rate: float | None = None,
    on_sent: Callable[[int], None] | None = None,
) -> PublishResult:
    """Publish ``bars`` in time order (then symbol), at ``rate`` bars per second when given."""
    ordered = bars.sort_values(["event_timestamp", "symbol"], kind="stable")
    messages = encode_bars(ordered, source)
    started = time.monotonic()
    ids: list[str] = []
    sent = 0
    while sent < len(messages):
        if rate:
            due = min(len(messages), int((time.monotonic() - started) * rate) + 1)
            if due <= sent:
                time.sleep(TICK_SECONDS)
                continue
        else:
            due = len(messages)
        end = min(due, sent + MAX_PIPELINE)
        batch = messages[sent:end]
        stamp = str(time.time_ns())
        for message in batch:
            message["published_ns"] = stamp
        ids.extend(transport.publish(stream, batch))
        sent = end
        if on_sent is not None:
            on_sent(sent)
    return PublishResult(
        bars=sent,
        seconds=time.monotonic() - started,
        first_id=ids[0] if ids else None,
        last_id=ids[-1] if ids else None,
    )


def read_bar_file(path: Path, *, timezone: str = "UTC", source: str = "file") -> pd.DataFrame:
    """A CSV or Parquet bar file in the bar contract, read and normalised as the importer does."""
    normalized = normalize(
        read_source(path), timezone=timezone, source=source, created_at=datetime.now(UTC)
    )
    return normalized.bars
