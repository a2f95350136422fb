"""Arrow schemas of every table the platform writes, and checks against them.

Timestamps are UTC, tz-aware, microsecond precision everywhere inside the platform.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

UTC_TIMESTAMP = pa.timestamp("us", tz="UTC")

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


class ContractError(ValueError):
    """A table or file does not match its contract; the message names file, column and type."""


def check_schema(table: pa.Table, schema: pa.Schema, where: str | Path) -> None:
    """Raise ContractError unless ``table`` has every column of ``schema`` with its exact type."""
    for field in schema:
        if field.name not in table.column_names:
            raise ContractError(f"{where}: column '{field.name}' is missing (expected {field.type})")
        actual = table.schema.field(field.name).type
        if actual != field.type:
            raise ContractError(
                f"{where}: column '{field.name}' has type {actual}, expected {field.type}"
            )


def conform(table: pa.Table, schema: pa.Schema, where: str | Path) -> pa.Table:
    """Select and order ``schema``'s columns, after checking them with :func:`check_schema`."""
    check_schema(table, schema, where)
    return table.select(schema.names).cast(schema)
