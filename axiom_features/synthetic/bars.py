"""Deterministic synthetic daily bars for N symbols.

Prices follow a geometric Brownian motion whose variance is a GARCH(1,1) process
(volatility clustering) with Poisson jumps; opens gap from the previous close; highs and
lows bracket open and close by a range scaled to the day's volatility; volume is
log-normal around a per-symbol level, rises with the size of the move and with the
volatility regime, and is autocorrelated. Bars are stamped at the exchange session close.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from axiom_features.calendar import session_closes

DEMO_SYMBOLS: tuple[str, ...] = (
    "AXM", "BLQ", "CRX", "DNV", "ELP", "FYR", "GTO", "HMX", "IVY", "JNT",
    "KRB", "LUX", "MDR", "NOV", "ORB", "PQT", "QZN", "RHO", "SLT", "TVA",
)  # fmt: skip


@dataclass(frozen=True)
class MarketParams:
    """Parameters of the price process (daily units)."""

    drift: float = 0.07 / 252
    garch_omega: float = 2e-6
    garch_alpha: float = 0.08
    garch_beta: float = 0.90
    jump_rate: float = 0.01
    jump_scale: float = 0.04
    gap_share: float = 0.3
    volume_autocorr: float = 0.6


def symbol_names(n: int) -> list[str]:
    """``n`` distinct symbols: the demo's fictional tickers first, then ``S0021`` onwards."""
    names = list(DEMO_SYMBOLS[:n])
    names += [f"S{i:04d}" for i in range(len(names) + 1, n + 1)]
    return names


def _symbol_rng(seed: int, symbol: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(symbol.encode())])


def _garch_returns(rng: np.random.Generator, n: int, p: MarketParams, base_vol: float):
    shocks = rng.standard_normal(n)
    long_run_var = base_vol**2
    omega = long_run_var * (1.0 - p.garch_alpha - p.garch_beta)
    variance = np.empty(n)
    returns = np.empty(n)
    var = long_run_var
    for t in range(n):
        variance[t] = var
        returns[t] = np.sqrt(var) * shocks[t]
        var = omega + p.garch_alpha * returns[t] ** 2 + p.garch_beta * var
    jumps = rng.poisson(p.jump_rate, n) * rng.normal(0.0, p.jump_scale, n)
    log_returns = p.drift - 0.5 * variance + returns + jumps
    return log_returns, np.sqrt(variance)


def generate_symbol(
    symbol: str,
    closes: pd.DatetimeIndex,
    *,
    seed: int,
    params: MarketParams = MarketParams(),
) -> pd.DataFrame:
    """Bars of one symbol at the given session closes, in the bar contract's columns."""
    rng = _symbol_rng(seed, symbol)
    n = len(closes)
    base_vol = rng.uniform(0.01, 0.03)
    start_price = float(np.exp(rng.uniform(np.log(10.0), np.log(500.0))))
    log_ret, vol = _garch_returns(rng, n, params, base_vol)

    close = start_price * np.exp(np.cumsum(log_ret))
    prev_close = np.concatenate(([start_price], close[:-1]))
    gap = params.gap_share * log_ret + rng.normal(0.0, 0.2, n) * vol
    open_ = prev_close * np.exp(gap)
    range_scale = vol * np.abs(rng.normal(0.8, 0.3, n))
    high = np.maximum(open_, close) * np.exp(np.abs(rng.normal(0.0, 1.0, n)) * range_scale * 0.5)
    low = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0.0, 1.0, n)) * range_scale * 0.5)

    base_volume = float(np.exp(rng.uniform(np.log(2e5), np.log(2e7))))
    noise = rng.normal(0.0, 0.25, n)
    persistent = np.empty(n)
    acc = 0.0
    for t in range(n):
        acc = params.volume_autocorr * acc + noise[t]
        persistent[t] = acc
    move = np.abs(log_ret) / np.maximum(vol, 1e-9)
    volume = np.round(base_volume * np.exp(persistent) * (0.6 + 0.4 * move) * (vol / base_vol))

    return pd.DataFrame(
        {
            "symbol": symbol,
            "event_timestamp": closes.astype("datetime64[us, UTC]"),
            "open": np.round(open_, 4),
            "high": np.round(high, 4),
            "low": np.round(low, 4),
            "close": np.round(close, 4),
            "volume": volume.astype(np.float64),
        }
    )


def generate_bars(
    symbols: int | list[str],
    days: int,
    *,
    seed: int = 7,
    end: datetime | None = None,
    source: str = "synthetic",
    created_at: datetime | None = None,
) -> pd.DataFrame:
    """Bars for ``symbols`` (a count or names) over the last ``days`` sessions before ``end``.

    The same arguments always give the same prices and volumes.
    """
    names = symbol_names(symbols) if isinstance(symbols, int) else list(symbols)
    closes = session_closes(end or datetime.now(UTC), days)
    frames = [generate_symbol(name, closes, seed=seed) for name in names]
    bars = pd.concat(frames, ignore_index=True)
    received = pd.Timestamp(created_at or datetime.now(UTC))
    bars["created_timestamp"] = pd.Series(received, index=bars.index).astype("datetime64[us, UTC]")
    bars["source"] = source
    return bars


def vendor_frame(bars: pd.DataFrame) -> pd.DataFrame:
    """``bars`` in a vendor's spelling: Date (ISO, UTC), Ticker, Open, High, Low, Close, Volume."""
    return pd.DataFrame(
        {
            "Date": bars["event_timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Ticker": bars["symbol"],
            "Open": bars["open"],
            "High": bars["high"],
            "Low": bars["low"],
            "Close": bars["close"],
            "Volume": bars["volume"],
        }
    )
