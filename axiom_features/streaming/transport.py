"""What the stream needs from a message transport, so that another broker can be added.

A transport carries bar messages (flat ``str → str`` field maps) on named streams, with
consumer groups: a message read by a group stays pending until the group acknowledges it;
pending messages of a consumer that stopped can be claimed by another; failed messages go
to a dead-letter stream with the rule that failed. Redis Streams implement it
(:mod:`.redis_transport`); Kafka or NATS JetStream would implement the same methods.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

Fields = Mapping[str, str]


@dataclass(frozen=True)
class Message:
    """One message of a stream: its position (``id``), fields, and whether it was redelivered."""

    stream: str
    id: str
    fields: dict[str, str]
    redelivered: bool = False


@dataclass(frozen=True)
class GroupStatus:
    """Where a consumer group stands on a stream."""

    stream: str
    group: str
    length: int
    """Messages in the stream."""
    lag: int
    """Messages not yet delivered to the group."""
    pending: int
    """Delivered but not acknowledged."""
    last_delivered: str


class BarTransport(Protocol):
    """A durable, replayable log of messages with consumer groups."""

    def publish(self, stream: str, messages: Sequence[Fields]) -> list[str]:
        """Append ``messages``; returns their ids in order."""
        ...

    def ensure_group(self, stream: str, group: str, start: str = "0") -> None:
        """Create ``group`` on ``stream`` (and the stream) unless it exists."""
        ...

    def read(
        self, stream: str, group: str, consumer: str, count: int, block_ms: int
    ) -> list[Message]:
        """New messages for ``consumer``, waiting up to ``block_ms`` for the first."""
        ...

    def pending_of(self, stream: str, group: str, consumer: str, count: int) -> list[Message]:
        """Messages delivered to ``consumer`` and not acknowledged (its own, after a restart)."""
        ...

    def claim_stale(
        self, stream: str, group: str, consumer: str, min_idle_ms: int, count: int
    ) -> list[Message]:
        """Take over messages pending at other consumers for at least ``min_idle_ms``."""
        ...

    def ack(self, stream: str, group: str, ids: Sequence[str]) -> None: ...

    def dead_letter(self, stream: str, message: Message, rule: str, detail: str) -> None:
        """Record ``message`` on the dead-letter stream of ``stream`` with the failed rule."""
        ...

    def rewind(self, stream: str, group: str, position: str) -> None:
        """Deliver the group every message after ``position`` again (replay)."""
        ...

    def id_at(self, stream: str, time_ms: int) -> str:
        """The position just before the first message added at or after ``time_ms``."""
        ...

    def after(self, stream: str, position: str, until: str, count: int) -> list[Message]:
        """Up to ``count`` messages after ``position`` and up to ``until`` (no group involved)."""
        ...

    def status(self, stream: str, group: str) -> GroupStatus: ...

    def dead_letters(self, stream: str, count: int = 100) -> list[Message]: ...


def dead_letter_stream(stream: str) -> str:
    return f"{stream}:dead"
