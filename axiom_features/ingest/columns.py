"""Vendor column names → the bar contract's names.

Names are compared case-insensitively with spaces, dots, dashes and underscores removed,
so "Adj Close", "adj_close" and "AdjClose" are one spelling.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from axiom_features.ingest.errors import IngestError

ALIASES: dict[str, tuple[str, ...]] = {
    "event_timestamp": ("eventtimestamp", "timestamp", "datetime", "date", "time"),
    "symbol": ("symbol", "ticker"),
    "open": ("open", "o"),
    "high": ("high", "h"),
    "low": ("low", "l"),
    "close": ("close", "c"),
    "adj_close": ("adjclose", "adjustedclose"),
    "volume": ("volume", "vol"),
}
"""Spellings of each column, most specific first; the first one found wins."""

REQUIRED: tuple[str, ...] = ("event_timestamp", "open", "high", "low", "close", "volume")

INDEX_NAMES: tuple[str, ...] = ("", "index", "unnamed0")
"""Names a written-out index gets (pandas ``to_csv``, ``reset_index``): a date fallback."""


def squash(name: object) -> str:
    """The comparable form of a column name: lower case, letters and digits only."""
    return re.sub(r"[^0-9a-z]", "", str(name).lower())


@dataclass(frozen=True)
class ColumnMap:
    """Which source column feeds each contract column."""

    columns: dict[str, str]
    """Contract name → source column name."""
    time_of_day: str | None = None
    """A separate time column to join to a date-only ``event_timestamp`` column."""


def map_columns(names: Iterable[object], where: str) -> ColumnMap:
    """Match source column names to contract names; IngestError if a required one is absent."""
    by_squash: dict[str, str] = {}
    for name in names:
        key = squash(name)
        if key in by_squash and key:
            first = by_squash[key]
            raise IngestError(f"{where}: columns '{first}' and '{name}' are the same column")
        by_squash.setdefault(key, str(name))
    found: dict[str, str] = {}
    for target, spellings in ALIASES.items():
        match = next((by_squash[s] for s in spellings if s in by_squash), None)
        if match is not None:
            found[target] = match
    time_of_day = None
    if squash(found.get("event_timestamp")) == "date" and "time" in by_squash:
        time_of_day = by_squash["time"]
    if "event_timestamp" not in found:
        index = next((by_squash[s] for s in INDEX_NAMES if s in by_squash), None)
        if index is not None:
            found["event_timestamp"] = index
    missing = [c for c in REQUIRED if c not in found]
    if missing:
        raise IngestError(
            f"{where}: missing required column '{missing[0]}'"
            + (f" (and {', '.join(missing[1:])})" if missing[1:] else "")
            + f"; columns found: {', '.join(map(str, by_squash.values())) or 'none'}"
        )
    return ColumnMap(columns=found, time_of_day=time_of_day)
