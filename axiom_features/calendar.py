"""The exchange trading calendar: sessions and their closing instants in UTC."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

import pandas as pd

MARKET_CALENDARS: dict[str, str] = {"FX": "24/5", "CRYPTO": "24/7"}
"""Calendars of markets without an exchange: FX trades Monday to Friday around the clock
(sessions are UTC days, a daily bar closes at the next UTC midnight), crypto every day."""

HINT_ORDER: tuple[str, ...] = ("XNYS", "FX", "CRYPTO")
"""Candidates for :func:`fitting_calendar`, narrowest first."""


def exchange_name(calendar: str) -> str:
    """The exchange_calendars name of ``calendar`` (``FX`` → ``24/5``, ``CRYPTO`` → ``24/7``)."""
    return MARKET_CALENDARS.get(calendar.upper(), calendar)


@lru_cache(maxsize=4)
def _calendar(exchange: str):  # noqa: ANN202 - exchange_calendars has no public base type
    import exchange_calendars as xcals

    return xcals.get_calendar(exchange_name(exchange), start=FIRST_DAY)


FIRST_DAY = "2000-01-01"
"""The first session the calendars cover; earlier dates get the regular close."""


def _calendar_of_years(exchange: str, first: int, last: int):  # noqa: ANN202
    """``exchange``'s calendar over the years ``first``..``last`` (and through the current
    year, so the lookups of one import share one calendar: its bars' sessions and how many
    sessions have closed since its newest bar), within the span the full calendar covers:
    building a few years costs a fraction of building 25. A calendar already built from an
    earlier year to the same end serves too (a lookup by date finds the same sessions)."""
    last = max(last, pd.Timestamp.now().year)
    built = _FIRST_YEARS.setdefault((exchange, last), set())
    earlier = [year for year in built if year <= first]
    first = max(earlier) if earlier else first
    built.add(first)
    return _calendar_between_years(exchange, first, last)


_FIRST_YEARS: dict[tuple[str, int], set[int]] = {}
"""First years of the calendars built so far, per exchange and last year."""


@lru_cache(maxsize=16)
def _calendar_between_years(exchange: str, first: int, last: int):  # noqa: ANN202
    import exchange_calendars as xcals

    start = max(pd.Timestamp(f"{first}-01-01"), pd.Timestamp(FIRST_DAY))
    end = min(pd.Timestamp(f"{last}-12-31"), pd.Timestamp.now().floor("D") + pd.DateOffset(years=1))
    if start > end:
        return _calendar(exchange)
    return xcals.get_calendar(exchange_name(exchange), start=start, end=end)


def calendar_covering(stamps: pd.Series, exchange: str):  # noqa: ANN201
    """A calendar of ``exchange`` covering the local dates of ``stamps`` (the years they span,
    a day either side), for lookups by date; the full calendar when there are none."""
    present = stamps.dropna()
    if not len(present):
        return _calendar(exchange)
    first = (present.min() - pd.Timedelta(days=1)).year
    last = (present.max() + pd.Timedelta(days=1)).year
    return _calendar_of_years(exchange, first, last)


def check_calendar(exchange: str) -> str:
    """``exchange`` if it names a known calendar (XNYS, XLON, XTKS …, FX, CRYPTO); else
    ValueError."""
    import exchange_calendars as xcals

    if exchange_name(exchange) not in xcals.get_calendar_names(include_aliases=True):
        raise ValueError(
            f"unknown exchange calendar {exchange!r} (e.g. XNYS, XLON, XTKS, FX, CRYPTO)"
        )
    return exchange


def fitting_calendar(stamps: pd.Series, chosen: str) -> str | None:
    """When most bars fall outside ``chosen``'s sessions, the first candidate of
    :data:`HINT_ORDER` whose sessions hold them all (or most); None when ``chosen`` fits."""
    days = pd.DatetimeIndex(stamps.dropna())
    if not len(days):
        return None
    if is_session(days, chosen).mean() > 0.5:
        return None
    share = {c: is_session(days, c).mean() for c in HINT_ORDER if c != chosen}
    best = max(share.values())
    return next(c for c, v in share.items() if v == best) if best > 0.5 else None


def session_closes(
    end: datetime | pd.Timestamp, sessions: int, exchange: str = "XNYS"
) -> pd.DatetimeIndex:
    """The closing instants (UTC) of the last ``sessions`` sessions closed by ``end``.

    A daily bar is stamped at its session close: that is when its values become known, so a
    point-in-time join can never see a bar before its day is over.
    """
    cal = _calendar(exchange)
    end_ts = pd.Timestamp(end)
    end_ts = end_ts.tz_localize("UTC") if end_ts.tzinfo is None else end_ts.tz_convert("UTC")
    last_day = min(end_ts.normalize().tz_localize(None), cal.last_session)
    closes = cal.schedule.loc[:last_day, "close"]
    closes = closes[closes <= end_ts]
    if len(closes) < sessions:
        raise ValueError(
            f"the {exchange} calendar has only {len(closes)} sessions before {end_ts}, "
            f"{sessions} were asked for"
        )
    return pd.DatetimeIndex(closes.iloc[-sessions:]).tz_convert("UTC")


def is_session(days: pd.DatetimeIndex, exchange: str = "XNYS") -> pd.Series:
    """Whether each UTC instant falls on a trading session of ``exchange`` (by its local date).

    Bars are stamped when they end, so an instant at the close of a session that ends at
    midnight (FX, crypto: the next UTC midnight) still belongs to that session. The
    calendar is built over the years of ``days`` only.
    """
    cal = calendar_covering(days.to_series(), exchange)
    codes, distinct = pd.factorize(days, use_na_sentinel=False)  # few instants, many rows
    local = pd.DatetimeIndex(distinct).tz_convert(cal.tz)
    if exchange_name(exchange) in MARKET_CALENDARS.values():
        local = local - pd.Timedelta(microseconds=1)
    local_days = local.tz_localize(None).normalize()
    return pd.Series(local_days.isin(cal.sessions)[codes], index=days)


def close_of_dates(dates: pd.Series, exchange: str = "XNYS") -> pd.Series:
    """The UTC closing instant of each calendar date's session on ``exchange``.

    A date that is not a session (a holiday, a weekend) gets the exchange's regular close
    time, 16:00 local, on that date. Missing dates stay NaT.
    """
    days = pd.to_datetime(dates).dt.normalize()
    days = days.dt.tz_localize(None) if days.dt.tz is not None else days
    present = days.dropna()
    cal = (
        _calendar_of_years(exchange, present.min().year, present.max().year)
        if len(present)
        else _calendar(exchange)
    )
    closes = cal.schedule["close"]
    stamped = days.map(closes)
    regular = (days + pd.Timedelta(hours=16)).dt.tz_localize(cal.tz, nonexistent="NaT")
    fallback = regular.dt.tz_convert("UTC")
    return stamped.fillna(fallback).astype("datetime64[us, UTC]")


def trading_sessions(exchange: str = "XNYS") -> pd.DatetimeIndex:
    """Every session date of ``exchange`` the calendar covers (naive dates, oldest first)."""
    return pd.DatetimeIndex(_calendar(exchange).sessions)


def exchange_timezone(exchange: str = "XNYS") -> str:
    """The time zone of ``exchange``'s local dates (``America/New_York`` for XNYS)."""
    return str(_calendar(exchange).tz)
