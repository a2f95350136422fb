"""Redis Streams as the bar transport: XADD, consumer groups, XAUTOCLAIM, a dead-letter stream."""

from __future__ import annotations

import time
from collections.abc import Sequence

import redis

from axiom_features.streaming.transport import (
    Fields,
    GroupStatus,
    Message,
    dead_letter_stream,
)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _messages(stream: str, entries: list, redelivered: bool) -> list[Message]:
    out = []
    for entry_id, fields in entries:
        if fields is None:  # deleted while pending
            continue
        decoded = {_text(k): _text(v) for k, v in fields.items()}
        out.append(Message(stream, _text(entry_id), decoded, redelivered))
    return out


class RedisStreamsTransport:
    """:class:`~axiom_features.streaming.transport.BarTransport` on one Redis server."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.client = redis.Redis.from_url(url)

    def publish(self, stream: str, messages: Sequence[Fields]) -> list[str]:
        with self.client.pipeline(transaction=False) as pipe:
            for fields in messages:
                pipe.xadd(stream, dict(fields))
            return [_text(i) for i in pipe.execute()]

    def ensure_group(self, stream: str, group: str, start: str = "0") -> None:
        try:
            self.client.xgroup_create(stream, group, id=start, mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def read(
        self, stream: str, group: str, consumer: str, count: int, block_ms: int
    ) -> list[Message]:
        reply = self.client.xreadgroup(
            group, consumer, {stream: ">"}, count=count, block=block_ms or None
        )
        return [m for _, entries in reply or [] for m in _messages(stream, entries, False)]

    def pending_of(self, stream: str, group: str, consumer: str, count: int) -> list[Message]:
        reply = self.client.xreadgroup(group, consumer, {stream: "0"}, count=count)
        return [m for _, entries in reply or [] for m in _messages(stream, entries, True)]

    def claim_stale(
        self, stream: str, group: str, consumer: str, min_idle_ms: int, count: int
    ) -> list[Message]:
        reply = self.client.xautoclaim(stream, group, consumer, min_idle_ms, "0-0", count=count)
        return _messages(stream, reply[1], True)

    def ack(self, stream: str, group: str, ids: Sequence[str]) -> None:
        if ids:
            self.client.xack(stream, group, *ids)

    def dead_letter(self, stream: str, message: Message, rule: str, detail: str) -> None:
        fields = {**message.fields, "dead_rule": rule, "dead_detail": detail}
        fields["dead_source_id"] = message.id
        self.client.xadd(dead_letter_stream(stream), fields)

    def rewind(self, stream: str, group: str, position: str) -> None:
        self.ensure_group(stream, group, position)
        self.client.xgroup_setid(stream, group, position)

    def id_at(self, stream: str, time_ms: int) -> str:
        first = self.client.xrange(stream, min=f"{time_ms}-0", count=1)
        if not first:
            return "$"
        ms, seq = (int(p) for p in _text(first[0][0]).split("-"))
        return f"{ms}-{seq - 1}" if seq else f"{ms - 1}-18446744073709551615"

    def after(self, stream: str, position: str, until: str, count: int) -> list[Message]:
        entries = self.client.xrange(stream, min=f"({position}", max=until, count=count)
        return _messages(stream, entries, True)

    def status(self, stream: str, group: str) -> GroupStatus:
        length = int(self.client.xlen(stream))
        groups = {_text(g["name"]): g for g in self.client.xinfo_groups(stream)} if length else {}
        info = groups.get(group)
        if info is None:
            return GroupStatus(stream, group, length, length, 0, "0-0")
        last = _text(info["last-delivered-id"])
        lag = info.get("lag")
        if lag is None:  # Redis < 7 does not count it
            lag = len(self.client.xrange(stream, min=f"({last}", count=1_000_000))
        return GroupStatus(stream, group, length, int(lag), int(info["pending"]), last)

    def dead_letters(self, stream: str, count: int = 100) -> list[Message]:
        entries = self.client.xrevrange(dead_letter_stream(stream), count=count)
        return _messages(dead_letter_stream(stream), entries, False)


def wait_until_answering(url: str, seconds: float = 10.0) -> None:
    """Block until the Redis server at ``url`` answers a PING (raises on timeout)."""
    client = redis.Redis.from_url(url, socket_connect_timeout=1)
    deadline = time.monotonic() + seconds
    while True:
        try:
            client.ping()
            return
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
