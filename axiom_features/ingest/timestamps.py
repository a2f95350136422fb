"""Timestamps of any common spelling → UTC, microseconds; the one place time zones are decided.

Values carrying an offset (``Z``, ``+02:00``) are converted to UTC, each by its own offset;
values without one are taken as wall-clock time in the stated zone. Values that cannot be
read, or that do not exist or are ambiguous in that zone (DST), come back as NaT.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from axiom_features.ingest.errors import IngestError
from axiom_features.ingest.raw import as_text

UTC_DTYPE = "datetime64[us, UTC]"
_HAS_OFFSET = r"\d:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:[zZ]|[+-]\d{2}(?::?\d{2})?)$"


def check_timezone(name: str) -> str:
    """``name`` if it is a known IANA zone, else IngestError."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise IngestError(f"unknown timezone {name!r} (use an IANA name such as 'UTC')") from exc
    return name


def to_utc(values: pd.Series, timezone: str) -> pd.Series:
    """``values`` as ``datetime64[us, UTC]``; unreadable values become NaT."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert("UTC").astype(UTC_DTYPE)
    if pd.api.types.is_datetime64_dtype(values.dtype):
        return _localize(values, timezone)
    text = as_text(values)
    out = pd.Series(pd.NaT, index=values.index, dtype=UTC_DTYPE)
    aware = text.str.contains(_HAS_OFFSET, regex=True, na=False)
    if aware.any():
        out[aware] = _parse(text[aware], utc=True).astype(UTC_DTYPE)
    naive = text.notna() & ~aware
    if naive.any():
        out[naive] = _localize(_parse(text[naive], utc=False), timezone)
    return out


def _parse(text: pd.Series, *, utc: bool) -> pd.Series:
    parsed = pd.to_datetime(text, format="ISO8601", utc=utc, errors="coerce")
    retry = parsed.isna()
    if retry.any():
        try:
            parsed[retry] = pd.to_datetime(text[retry], format="mixed", utc=utc, errors="coerce")
        except (ValueError, TypeError):
            pass  # mixed naive and zoned values among the non-ISO ones: left as NaT
    return parsed


def _localize(values: pd.Series, timezone: str) -> pd.Series:
    if not pd.api.types.is_datetime64_dtype(values.dtype):
        return pd.Series(pd.NaT, index=values.index, dtype=UTC_DTYPE)
    local = values.dt.tz_localize(timezone, ambiguous="NaT", nonexistent="NaT")
    return local.dt.tz_convert("UTC").astype(UTC_DTYPE)
