"""Trading-day partitions: one partition per session of the exchange calendar."""

from __future__ import annotations

from datetime import datetime

import dagster as dg
import pandas as pd

from axiom_features.calendar import exchange_timezone, session_closes, trading_sessions

EXCHANGE = "XNYS"
"""The calendar whose sessions partition the pipeline."""


def session_partitions(exchange: str = EXCHANGE) -> dg.StaticPartitionsDefinition:
    """One partition per session date (``YYYY-MM-DD``): holidays have none, half-days do."""
    return dg.StaticPartitionsDefinition(
        [day.strftime("%Y-%m-%d") for day in trading_sessions(exchange)]
    )


def session_close(day: str, exchange: str = EXCHANGE) -> datetime:
    """The UTC closing instant of the session ``day`` (its early close on a half-day)."""
    date = pd.Timestamp(day)
    closes = session_closes(date + pd.Timedelta(days=2), 3, exchange)
    local = closes.tz_convert(exchange_timezone(exchange)).normalize().tz_localize(None)
    match = closes[local == date]
    if not len(match):
        raise ValueError(f"{day} is not a {exchange} trading session")
    return match[0].to_pydatetime()


def last_closed_session(now: datetime, exchange: str = EXCHANGE) -> str:
    """The date of the newest session whose close is at or before ``now``."""
    close = session_closes(now, 1, exchange)[0]
    return close.tz_convert(exchange_timezone(exchange)).strftime("%Y-%m-%d")
