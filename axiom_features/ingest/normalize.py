"""A :class:`RawFile` → bars in the contract's columns and types, plus per-row ingest failures.

Nothing is dropped here: a value that cannot be converted becomes null and its row gets a
``type:<column>`` failure, so the gate can quarantine it with the text that was read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from axiom_features.calendar import close_of_dates
from axiom_features.contracts import BAR_SCHEMA, NUMERIC_BAR_COLUMNS, PRICE_COLUMNS
from axiom_features.ingest.columns import ColumnMap, map_columns
from axiom_features.ingest.errors import IngestError
from axiom_features.ingest.plain_values import plain_floats, plain_symbols, plain_timestamps
from axiom_features.ingest.raw import RawFile, as_symbols, as_text
from axiom_features.ingest.timestamps import UTC_DTYPE, to_utc
from axiom_features.quality.gate import RULE_SEPARATOR


@dataclass
class NormalizedFile:
    """One file's bars, row for row with its :class:`RawFile`."""

    raw: RawFile
    bars: pd.DataFrame
    """The bar contract's columns and dtypes (RangeIndex)."""
    failures: pd.Series
    """Rule names found while converting, joined by ';' ('' for a clean row)."""
    notes: list[str]
    adj_close_ignored: bool = False


def to_float(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """``values`` as float64 and the mask of values that were present but not numbers."""
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values):
        return values.astype("float64"), np.zeros(len(values), dtype=bool)
    numbers = pd.to_numeric(values, errors="coerce").astype("float64")
    missing = numbers.isna().to_numpy()
    bad = np.zeros(len(values), dtype=bool)
    if missing.any():
        bad[missing] = as_text(values[missing]).notna().to_numpy()
    return numbers, bad


def _column(raw: RawFile, name: str) -> pd.Series:
    """A column as read; text read into Arrow is handed on as Python strings, as the CSV
    reader gives it."""
    values = raw.frame[name]
    return values.astype(object) if raw.text is not None else values


def _floats(raw: RawFile, name: str) -> tuple[pd.Series, np.ndarray]:
    """:func:`to_float` of a column, in one vectorised pass when its text is plain."""
    if raw.text is not None:
        numbers = plain_floats(raw.text.column(name).combine_chunks())
        if numbers is not None:
            return pd.Series(numbers, index=raw.frame.index), np.zeros(len(numbers), dtype=bool)
    return to_float(_column(raw, name))


def _timestamps(
    raw: RawFile, mapping: ColumnMap, timezone: str, calendar: str
) -> tuple[pd.Series, np.ndarray]:
    name = mapping.columns["event_timestamp"]
    if raw.text is not None and mapping.time_of_day is None:
        stamps = plain_timestamps(raw.text.column(name).combine_chunks())
        if stamps is not None:
            return stamps, np.zeros(len(stamps), dtype=bool)
    values = _column(raw, name)
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        present = values.notna()
    else:
        values = as_text(values)
        if mapping.time_of_day is not None:
            times = as_text(_column(raw, mapping.time_of_day)).fillna("")
            values = (values + " " + times).str.strip().where(values.notna(), None)
        present = values.notna()
    stamps = to_utc(values, timezone)
    dates = date_only(values)
    if dates.any():
        local_days = stamps[dates].dt.tz_convert(timezone).dt.tz_localize(None)
        stamps[dates] = close_of_dates(local_days, calendar)
    return stamps, (present & stamps.isna()).to_numpy()


def date_only(values: pd.Series) -> pd.Series:
    """Values that name a day without a time of day (``2024-01-02``, or midnight datetimes).

    A daily bar is known only when its session closes, so such values are stamped at the
    exchange session close of that date: a training join can never see the bar earlier.
    """
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        present = values.dropna()
        midnight = bool(len(present)) and bool((present == present.dt.normalize()).all())
        return values.notna() & midnight
    text = as_text(values)
    return text.notna() & ~text.str.contains(":", regex=False, na=False)


def _symbols(raw: RawFile, mapping: ColumnMap) -> pd.Series:
    """The symbol column, else the file's name, as the vendor spells it (:func:`as_symbols`)."""
    if "symbol" in mapping.columns:
        name = mapping.columns["symbol"]
        if raw.text is not None:
            symbols = plain_symbols(raw.text.column(name).combine_chunks())
            if symbols is not None:
                return pd.Series(symbols, index=raw.frame.index, dtype=object)
        return as_symbols(_column(raw, name))
    return pd.Series(raw.path.stem.strip(), index=raw.frame.index, dtype=object)


def normalize(
    raw: RawFile,
    *,
    timezone: str,
    source: str,
    created_at: datetime,
    use_adjusted: bool = False,
    calendar: str = "XNYS",
) -> NormalizedFile:
    """Convert one file's rows to bars; raise IngestError for a missing required column."""
    mapping = map_columns(raw.frame.columns, raw.name)
    n = len(raw.frame)
    flags: dict[str, np.ndarray] = dict(raw.flags)
    bars = pd.DataFrame(index=pd.RangeIndex(n))
    bars["symbol"] = _symbols(raw, mapping).to_numpy()
    bars["event_timestamp"], flags["type:event_timestamp"] = _timestamps(
        raw, mapping, timezone, calendar
    )
    for column in NUMERIC_BAR_COLUMNS:
        bars[column], flags[f"type:{column}"] = _floats(raw, mapping.columns[column])
    notes = list(raw.notes)
    ignored = False
    if use_adjusted:
        _adjust(bars, raw, mapping, flags)
        notes.append("prices scaled by adj_close / close")
    elif "adj_close" in mapping.columns:
        ignored = True
        notes.append(f"column '{mapping.columns['adj_close']}' ignored (use_adjusted is off)")
    bars["created_timestamp"] = pd.Series(pd.Timestamp(created_at), index=bars.index).astype(
        UTC_DTYPE
    )
    bars["source"] = source
    bars = bars[BAR_SCHEMA.names]
    return NormalizedFile(raw, bars, _join(flags, n), notes, adj_close_ignored=ignored)


def _adjust(
    bars: pd.DataFrame, raw: RawFile, mapping: ColumnMap, flags: dict[str, np.ndarray]
) -> None:
    """Scale open/high/low/close by adj_close / close where both are usable numbers."""
    if "adj_close" not in mapping.columns:
        raise IngestError(f"{raw.name}: use_adjusted is on but there is no 'Adj Close' column")
    adj, flags["type:adj_close"] = _floats(raw, mapping.columns["adj_close"])
    flags["not_null:adj_close"] = (adj.isna().to_numpy()) & ~flags["type:adj_close"]
    factor = (adj / bars["close"]).to_numpy()
    usable = np.isfinite(factor)
    for column in PRICE_COLUMNS:
        bars.loc[usable, column] = bars.loc[usable, column] * factor[usable]


def _join(flags: dict[str, np.ndarray], n: int) -> pd.Series:
    labels = np.full(n, "", dtype=object)
    for name, mask in flags.items():
        if mask.any():
            labels[mask] = np.where(labels[mask] == "", name, labels[mask] + RULE_SEPARATOR + name)
    return pd.Series(labels, dtype=object)
