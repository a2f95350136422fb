"""The bar contract: daily or intraday OHLCV bars, and the quarantine table of rejected bars."""

from __future__ import annotations

import pyarrow as pa

from axiom_features.contracts.base import UTC_TIMESTAMP

PRICE_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close")
NUMERIC_BAR_COLUMNS: tuple[str, ...] = (*PRICE_COLUMNS, "volume")
BAR_KEY: tuple[str, ...] = ("symbol", "event_timestamp", "source")

BAR_SCHEMA = pa.schema(
    [
        pa.field("symbol", pa.string(), nullable=False),
        pa.field("event_timestamp", UTC_TIMESTAMP, nullable=False),
        pa.field("open", pa.float64()),
        pa.field("high", pa.float64()),
        pa.field("low", pa.float64()),
        pa.field("close", pa.float64()),
        pa.field("volume", pa.float64()),
        pa.field("created_timestamp", UTC_TIMESTAMP, nullable=False),
        pa.field("source", pa.string(), nullable=False),
    ],
    metadata={b"contract": b"bars", b"key": b"symbol,event_timestamp,source"},
)

QUARANTINE_SCHEMA = pa.schema(
    [
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("quarantined_at", UTC_TIMESTAMP, nullable=False),
        pa.field("source_file", pa.string(), nullable=False),
        pa.field("source_line", pa.int64(), nullable=False),
        pa.field("failed_rules", pa.string(), nullable=False),
        pa.field("raw_record", pa.string(), nullable=False),
        # A quarantined row may lack any bar value (a missing symbol is a reason to hold it).
        *[BAR_SCHEMA.field(name).with_nullable(True) for name in BAR_SCHEMA.names],
    ],
    metadata={b"contract": b"quarantine"},
)
