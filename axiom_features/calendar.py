"""The exchange trading calendar: sessions and their closing instants in UTC."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

import pandas as pd


@lru_cache(maxsize=4)
def _calendar(exchange: str):  # noqa: ANN202 - exchange_calendars has no public base type
    import exchange_calendars as xcals

    return xcals.get_calendar(exchange, start="2000-01-01")


def session_closes(
    end: datetime | pd.Timestamp, sessions: int, exchange: str = "XNYS"
) -> pd.DatetimeIndex:
    """The closing instants (UTC) of the last ``sessions`` sessions that closed at or before ``end``.

    A daily bar is stamped at its session close: that is when its values become known, so a
    point-in-time join can never see a bar before its day is over.
    """
    cal = _calendar(exchange)
    end_ts = pd.Timestamp(end)
    end_ts = end_ts.tz_localize("UTC") if end_ts.tzinfo is None else end_ts.tz_convert("UTC")
    last_day = min(end_ts.normalize().tz_localize(None), cal.last_session)
    closes = cal.schedule.loc[: last_day, "close"]
    closes = closes[closes <= end_ts]
    if len(closes) < sessions:
        raise ValueError(
            f"the {exchange} calendar has only {len(closes)} sessions before {end_ts}, "
            f"{sessions} were asked for"
        )
    return pd.DatetimeIndex(closes.iloc[-sessions:]).tz_convert("UTC")


def is_session(days: pd.DatetimeIndex, exchange: str = "XNYS") -> pd.Series:
    """Whether each UTC instant falls on a trading session of ``exchange`` (by its local date)."""
    cal = _calendar(exchange)
    local_days = days.tz_convert(cal.tz).normalize().tz_localize(None)
    return pd.Series(local_days.isin(cal.sessions), index=days)
