"""Arrow schemas of every table the platform writes, and checks against them."""

from axiom_features.contracts.bars import (
    BAR_KEY,
    BAR_SCHEMA,
    NUMERIC_BAR_COLUMNS,
    PRICE_COLUMNS,
    QUARANTINE_SCHEMA,
)
from axiom_features.contracts.base import UTC_TIMESTAMP, ContractError, check_schema, conform

__all__ = [
    "BAR_KEY",
    "BAR_SCHEMA",
    "NUMERIC_BAR_COLUMNS",
    "PRICE_COLUMNS",
    "QUARANTINE_SCHEMA",
    "UTC_TIMESTAMP",
    "ContractError",
    "check_schema",
    "conform",
]
