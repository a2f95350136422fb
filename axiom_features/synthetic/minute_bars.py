"""Synthetic minute bars that continue daily bars: each symbol's price walks on from its
last close through whole exchange sessions, one bar per minute stamped at its end."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

MINUTE_VOLATILITY = 0.0008
"""Standard deviation of one minute's log return."""


@lru_cache(maxsize=2)
def _schedule(exchange: str) -> pd.DataFrame:
    import exchange_calendars as xcals

    return xcals.get_calendar(exchange, start="2000-01-01").schedule


def sessions_after(last_close: pd.Timestamp, count: int, exchange: str = "XNYS") -> pd.DataFrame:
    """``open`` and ``close`` (UTC) of the ``count`` sessions that open after ``last_close``."""
    schedule = _schedule(exchange)
    later = schedule[schedule["open"] > last_close]
    if len(later) < count:
        raise ValueError(f"the {exchange} calendar has {len(later)} sessions after {last_close}")
    return later.iloc[:count][["open", "close"]]


def sessions_before(end: pd.Timestamp, count: int, exchange: str = "XNYS") -> pd.DataFrame:
    """``open`` and ``close`` (UTC) of the last ``count`` sessions closed by ``end``."""
    schedule = _schedule(exchange)
    closed = schedule[schedule["close"] <= end]
    return closed.iloc[-count:][["open", "close"]]


def generate_minute_bars(
    last: pd.DataFrame, sessions: pd.DataFrame, *, seed: int = 7, source: str = "synthetic"
) -> pd.DataFrame:
    """Minute bars of every session in ``sessions`` for each symbol of ``last`` (its newest
    daily bar: ``symbol``, ``close``, ``volume``), in the bar contract's columns."""
    ranges = [
        pd.date_range(row.open, row.close, freq="1min", inclusive="right").tz_convert("UTC")
        for row in sessions.itertuples()
    ]
    minutes = ranges[0].append(ranges[1:]) if len(ranges) > 1 else ranges[0]
    frames = []
    for number, bar in enumerate(last.sort_values("symbol").itertuples()):
        rng = np.random.default_rng([seed, number])
        n = len(minutes)
        close = float(bar.close) * np.exp(np.cumsum(rng.normal(0.0, MINUTE_VOLATILITY, n)))
        open_ = np.concatenate(([float(bar.close)], close[:-1]))
        wiggle = np.abs(rng.normal(0.0, MINUTE_VOLATILITY / 2, (2, n)))
        per_minute = float(bar.volume) / 390.0
        frames.append(
            pd.DataFrame(
                {
                    "symbol": bar.symbol,
                    "event_timestamp": minutes,
                    "open": np.round(open_, 4),
                    "high": np.round(np.maximum(open_, close) * np.exp(wiggle[0]), 4),
                    "low": np.round(np.minimum(open_, close) * np.exp(-wiggle[1]), 4),
                    "close": np.round(close, 4),
                    "volume": np.round(per_minute * rng.lognormal(0.0, 0.4, n)),
                }
            )
        )
    bars = pd.concat(frames, ignore_index=True)
    bars["event_timestamp"] = bars["event_timestamp"].astype("datetime64[us, UTC]")
    bars["source"] = source
    return bars
