"""What every contract shares: the UTC timestamp type and schema checks.

Timestamps are UTC, tz-aware, microsecond precision everywhere inside the platform.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

UTC_TIMESTAMP = pa.timestamp("us", tz="UTC")


class ContractError(ValueError):
    """A table or file does not match its contract; the message names file, column and type."""


def check_schema(table: pa.Table, schema: pa.Schema, where: str | Path) -> None:
    """Raise ContractError unless ``table`` has every column of ``schema`` with its exact type."""
    for field in schema:
        if field.name not in table.column_names:
            raise ContractError(
                f"{where}: column '{field.name}' is missing (expected {field.type})"
            )
        actual = table.schema.field(field.name).type
        if actual != field.type:
            raise ContractError(
                f"{where}: column '{field.name}' has type {actual}, expected {field.type}"
            )


def conform(table: pa.Table, schema: pa.Schema, where: str | Path) -> pa.Table:
    """Select and order ``schema``'s columns, after checking them with :func:`check_schema`."""
    check_schema(table, schema, where)
    return table.select(schema.names).cast(schema)
