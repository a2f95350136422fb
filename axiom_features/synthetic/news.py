"""Deterministic synthetic headlines for N symbols.

Each symbol gets a Poisson number of headlines (``per_day`` per calendar day on average)
between three days before the first session close and the last one. Half are published
during a session (in the 6.5 hours before its close), the rest at any time of any day,
nights and weekends included; times are whole seconds, UTC.

Tone is positive, negative or neutral with probabilities 0.3 / 0.3 / 0.4. Given ``bars``,
a headline published on the UTC date of a session close leans toward the sign of that
session's log return: ``P(positive) = 0.3 + 0.25 tanh(r / 0.02)`` and ``P(negative)``
mirrored. A headline's tone never depends on a later session's return, so news up to a
bar is unchanged when the bars after it change.
"""

from __future__ import annotations

import zlib

import numpy as np
import pandas as pd

from axiom_features.contracts.news import NEWS_KEY, NEWS_SCHEMA
from axiom_features.lakes.news import empty_news
from axiom_features.synthetic.news_templates import NEGATIVE, NEUTRAL, POSITIVE

SESSION_SHARE = 0.5
SESSION_HOURS = 6.5
LEAD_DAYS = 3
BASE_POSITIVE = 0.3
BASE_NEGATIVE = 0.3
TILT = 0.25
RETURN_SCALE = 0.02
DAY_NS = 86_400 * 10**9
NEWS_STREAM = 0x4E455753
"""Salt of the news random stream, so it differs from the bars' stream of the same seed."""


def _rng(seed: int, symbol: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(symbol.encode()), NEWS_STREAM])


def _utc_index(values: pd.DatetimeIndex | pd.Series) -> pd.DatetimeIndex:
    index = pd.DatetimeIndex(values)
    return index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")


def same_day_returns(bars: pd.DataFrame | None, symbol: str) -> pd.Series:
    """Log return of each of ``symbol``'s sessions, indexed by the UTC date of its close.

    The first bar has no previous close and gets no entry.
    """
    if bars is None:
        return pd.Series(dtype=np.float64)
    rows = bars[bars["symbol"] == symbol].sort_values("event_timestamp")
    closes = rows["close"].to_numpy(dtype=np.float64)
    dates = _utc_index(rows["event_timestamp"]).normalize()
    return pd.Series(np.diff(np.log(closes)), index=dates[1:])


def _times(rng: np.random.Generator, sessions: pd.DatetimeIndex, n: int) -> pd.DatetimeIndex:
    closes = sessions.as_unit("ns").asi8
    start, end = closes[0] - LEAD_DAYS * DAY_NS, closes[-1]
    in_session = rng.random(n) < SESSION_SHARE
    during = (
        closes[rng.integers(0, len(closes), n)] - rng.uniform(0.0, SESSION_HOURS / 24, n) * DAY_NS
    )
    anytime = start + rng.uniform(0.0, 1.0, n) * (end - start)
    times = np.where(in_session, during, anytime).astype(np.int64)
    return pd.DatetimeIndex(pd.to_datetime(times, unit="ns", utc=True)).floor("s")


def _tones(rng: np.random.Generator, returns: np.ndarray) -> np.ndarray:
    """0 positive, 1 negative, 2 neutral, leaning with ``returns`` (0 where none)."""
    lean = TILT * np.tanh(returns / RETURN_SCALE)
    p_pos, p_neg = BASE_POSITIVE + lean, BASE_NEGATIVE - lean
    u = rng.random(len(returns))
    return np.where(u < p_pos, 0, np.where(u < p_pos + p_neg, 1, 2))


def _symbol_news(
    symbol: str,
    sessions: pd.DatetimeIndex,
    *,
    seed: int,
    per_day: float,
    bars: pd.DataFrame | None,
) -> pd.DataFrame:
    rng = _rng(seed, symbol)
    span_days = (sessions[-1] - sessions[0]).total_seconds() / 86400.0 + LEAD_DAYS
    n = int(rng.poisson(per_day * span_days))
    times = _times(rng, sessions, n)
    returns = same_day_returns(bars, symbol)
    lean = returns.reindex(times.normalize()).fillna(0.0).to_numpy()
    tones = _tones(rng, lean)
    picks = rng.random(n)
    pools = (POSITIVE, NEGATIVE, NEUTRAL)
    headlines = [
        pools[t][int(p * len(pools[t]))].format(s=symbol) for t, p in zip(tones, picks, strict=True)
    ]
    return pd.DataFrame({"symbol": symbol, "published_at": times, "headline": headlines})


def generate_news(
    symbols: list[str] | tuple[str, ...],
    sessions: pd.DatetimeIndex,
    *,
    seed: int,
    per_day: float = 0.5,
    bars: pd.DataFrame | None = None,
    source: str = "synthetic",
    created_at: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Headlines for ``symbols`` around the session closes ``sessions``, in the news contract.

    ``bars`` (columns symbol, event_timestamp, close) makes tone follow each session's
    return. ``created_timestamp`` is ``created_at``, or the publication time when None
    (received as published). The same arguments always give the same headlines.
    """
    closes = _utc_index(sessions).sort_values()
    if len(closes) == 0:
        raise ValueError("generate_news needs at least one session")
    frames = [_symbol_news(s, closes, seed=seed, per_day=per_day, bars=bars) for s in symbols]
    if not frames:
        return empty_news()
    news = pd.concat(frames, ignore_index=True)
    news["published_at"] = news["published_at"].astype("datetime64[us, UTC]")
    news["source"] = source
    news["created_timestamp"] = (
        news["published_at"] if created_at is None else _utc_index([created_at])[0]
    )
    news["created_timestamp"] = news["created_timestamp"].astype("datetime64[us, UTC]")
    news = news.drop_duplicates(list(NEWS_KEY))
    news = news.sort_values(["symbol", "published_at", "headline"], kind="stable")
    return news[NEWS_SCHEMA.names].reset_index(drop=True)
