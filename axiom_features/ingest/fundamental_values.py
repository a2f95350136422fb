"""Text values of fundamentals files → contract values, with a reason for every failure.

Each parser returns the converted values and, per row, the reason it failed ("" when it did
not). A missing value is not a failure for numbers (it becomes null); it is for keys.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from axiom_features.ingest.raw import as_symbols, as_text
from axiom_features.ingest.timestamps import UTC_DTYPE, to_utc

_PERIOD = re.compile(
    r"(?P<year>(?:19|20)\d{2})\D{0,3}Q(?P<q>[1-4])|Q(?P<q2>[1-4])\D{0,3}(?P<y2>(?:19|20)\d{2})"
)
_QUARTER_ONLY = re.compile(r"^(?:Q|FQ)?(?P<q>[1-4])$")
_DATE_ONLY = re.compile(r"^[^:]*$")
_END_OF_DAY = pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)


def parse_numbers(values: pd.Series, column: str) -> tuple[pd.Series, pd.Series]:
    """float64 values; accepts thousands separators, a currency sign and (123) negatives."""
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values):
        return values.astype("float64"), _no_reasons(values)
    text = as_text(values)
    cleaned = text.str.replace(r"[,$€£\s]", "", regex=True)
    cleaned = cleaned.str.replace(r"^\((.*)\)$", r"-\1", regex=True)
    numbers = pd.to_numeric(cleaned, errors="coerce").astype("float64")
    bad = text.notna() & numbers.isna()
    reasons = _no_reasons(values)
    reasons[bad] = [f"column '{column}': {v!r} is not a number" for v in text[bad]]
    return numbers, reasons


def parse_fiscal_periods(
    values: pd.Series, years: pd.Series | None, column: str
) -> tuple[pd.Series, pd.Series]:
    """Periods as ``"2024Q3"`` from "2024Q3", "2024-Q3", "Q3 2024", "FY2024 Q3" or "Q3" + year."""
    original = as_text(values)
    text = original.str.upper()
    year_text = as_text(years) if years is not None else pd.Series(None, index=values.index)
    out = pd.Series(None, index=values.index, dtype=object)
    for i, (period, year) in enumerate(zip(text, year_text, strict=True)):
        out.iat[i] = _period(period, year)
    reasons = _no_reasons(values)
    reasons[text.isna()] = f"column '{column}': missing"
    unreadable = text.notna() & out.isna()
    reasons[unreadable] = [
        f"column '{column}': {v!r} is not a fiscal quarter like 2024Q3"
        for v in original[unreadable]
    ]
    return out, reasons


def _period(period: str | None, year: str | None) -> str | None:
    if period is None:
        return None
    match = _PERIOD.search(period)
    if match:
        return f"{match['year'] or match['y2']}Q{match['q'] or match['q2']}"
    quarter = _QUARTER_ONLY.match(period.replace(" ", ""))
    if quarter and year is not None and re.fullmatch(r"(?:19|20)\d{2}(?:\.0)?", year):
        return f"{year[:4]}Q{quarter['q']}"
    return None


def parse_times(
    values: pd.Series, column: str, *, date_only_at_end_of_day: bool
) -> tuple[pd.Series, pd.Series]:
    """UTC timestamps (naive values are UTC); missing or unreadable values are failures.

    With ``date_only_at_end_of_day``, a value without a time of day ("2024-05-01") is taken
    as the last microsecond of that UTC day: the earliest instant by which it surely happened.
    """
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        stamps, date_only = to_utc(values, "UTC"), pd.Series(False, index=values.index)
        text = values.astype(object).where(values.notna(), None)
    else:
        text = as_text(values)
        stamps = to_utc(text, "UTC")
        date_only = text.str.match(_DATE_ONLY, na=False).astype(bool)
    if date_only_at_end_of_day:
        stamps = stamps.where(~date_only, stamps + _END_OF_DAY).astype(UTC_DTYPE)
    reasons = _no_reasons(values)
    reasons[text.isna()] = f"column '{column}': missing"
    unreadable = text.notna() & stamps.isna()
    reasons[unreadable] = [f"column '{column}': {v!r} is not a date" for v in text[unreadable]]
    return stamps, reasons


def parse_symbols(values: pd.Series, column: str) -> tuple[pd.Series, pd.Series]:
    """Symbols as the vendor spells them (:func:`as_symbols`); a missing one is a failure."""
    symbols = as_symbols(values)
    reasons = _no_reasons(values)
    reasons[symbols.isna()] = f"column '{column}': missing"
    return symbols, reasons


def join_reasons(*reasons: pd.Series) -> pd.Series:
    """Per row, the non-empty reasons joined by '; '."""
    joined = ["; ".join(r for r in row if r) for row in zip(*reasons, strict=True)]
    return pd.Series(joined, index=reasons[0].index, dtype=object)


def _no_reasons(values: pd.Series) -> pd.Series:
    return pd.Series(np.full(len(values), "", dtype=object), index=values.index)
