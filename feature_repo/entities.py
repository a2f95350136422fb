"""Entities: what features are keyed by."""

from feast import Entity
from feast.value_type import ValueType

symbol = Entity(
    name="symbol",
    join_keys=["symbol"],
    value_type=ValueType.STRING,
    description="An instrument's ticker, as in the bar contract.",
)
