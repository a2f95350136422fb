"""Bars as stream messages: text fields that round-trip every float64 exactly."""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import pandas as pd

from axiom_features.streaming.transport import Message

PRICE_FIELDS: tuple[str, ...] = ("open", "high", "low", "close", "volume")
PUBLISHED = "published_ns"


def encode_bars(bars: pd.DataFrame, source: str) -> list[dict[str, str]]:
    """One message per row of ``bars`` (``symbol``, ``event_timestamp``, OHLCV), in row order."""
    stamps = pd.DatetimeIndex(pd.to_datetime(bars["event_timestamp"], utc=True)).as_unit("ns")
    columns = {name: bars[name].to_numpy(np.float64) for name in PRICE_FIELDS}
    symbols = bars["symbol"].astype(str).to_numpy()
    now = str(time.time_ns())
    return [
        {
            "symbol": symbols[i],
            "event_ns": str(stamps.asi8[i]),
            **{name: repr(float(columns[name][i])) for name in PRICE_FIELDS},
            "source": source,
            PUBLISHED: now,
        }
        for i in range(len(bars))
    ]


class Undecodable(ValueError):
    """A message whose fields are not a bar; ``rule`` names what is wrong."""

    def __init__(self, rule: str, detail: str) -> None:
        super().__init__(detail)
        self.rule = rule


def _number(fields: dict[str, str], name: str) -> float:
    text = fields.get(name)
    if text is None:
        raise Undecodable(f"missing:{name}", f"field {name!r} is missing")
    try:
        return float(text)
    except ValueError:
        raise Undecodable(f"type:{name}", f"field {name!r} is not a number: {text!r}") from None


def decode(message: Message) -> dict[str, object]:
    """The bar a message carries (raises :class:`Undecodable`)."""
    fields = message.fields
    symbol = fields.get("symbol", "").strip()
    if not symbol:
        raise Undecodable("missing:symbol", "field 'symbol' is missing or empty")
    try:
        stamp = pd.Timestamp(int(fields["event_ns"]), tz="UTC")
    except (KeyError, ValueError):
        raise Undecodable("type:event_timestamp", "field 'event_ns' is not a time") from None
    bar: dict[str, object] = {"symbol": symbol, "event_timestamp": stamp}
    for name in PRICE_FIELDS:
        bar[name] = _number(fields, name)
    bar["source"] = fields.get("source", "stream")
    return bar


def decode_batch(
    messages: Sequence[Message],
) -> tuple[pd.DataFrame, list[Message], list[tuple[Message, Undecodable]]]:
    """The bars of ``messages`` as one frame (``symbol``, ``event_timestamp`` UTC, OHLCV,
    ``source``; a row per decodable message, in order), those messages, and the others with
    what is wrong with them."""
    kept: list[Message] = []
    failed: list[tuple[Message, Undecodable]] = []
    symbols: list[str] = []
    stamps: list[int] = []
    prices: list[list[float]] = []
    sources: list[str] = []
    for message in messages:
        fields = message.fields
        symbol = fields.get("symbol", "").strip()
        try:
            if not symbol:
                raise Undecodable("missing:symbol", "field 'symbol' is missing or empty")
            try:
                stamp = int(fields["event_ns"])
            except (KeyError, ValueError):
                raise Undecodable(
                    "type:event_timestamp", "field 'event_ns' is not a time"
                ) from None
            row = [_number(fields, name) for name in PRICE_FIELDS]
        except Undecodable as exc:
            failed.append((message, exc))
            continue
        kept.append(message)
        symbols.append(symbol)
        stamps.append(stamp)
        prices.append(row)
        sources.append(fields.get("source", "stream"))
    values = np.array(prices, dtype=np.float64).reshape(len(kept), len(PRICE_FIELDS))
    frame = pd.DataFrame(
        {
            "symbol": pd.Series(symbols, dtype=object),
            "event_timestamp": pd.to_datetime(np.array(stamps, dtype=np.int64), utc=True),
            **{name: values[:, j] for j, name in enumerate(PRICE_FIELDS)},
            "source": pd.Series(sources, dtype=object),
        }
    )
    return frame, kept, failed


def published_ns(messages: Sequence[Message]) -> np.ndarray:
    """When each message was published (ns since the epoch; 0 when unknown)."""
    return np.array([int(m.fields.get(PUBLISHED, 0)) for m in messages], dtype=np.int64)
