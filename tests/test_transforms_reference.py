"""Core indicators against independent numpy/pandas implementations of their definitions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.test_transforms import synthetic_bars
from transforms.compute import compute_all

SETTLED = 250
"""Rows after which EMA-family values no longer depend on how the average was seeded."""


@pytest.fixture(scope="module")
def bars() -> pd.DataFrame:
    return synthetic_bars(seed=7)


@pytest.fixture(scope="module")
def features(bars: pd.DataFrame) -> pd.DataFrame:
    return compute_all(bars)


def sma(x: np.ndarray, n: int) -> np.ndarray:
    return pd.Series(x).rolling(n).mean().to_numpy()


def ema(x: np.ndarray, n: int) -> np.ndarray:
    """EMA with k = 2/(n+1), seeded with the simple mean of the first n values."""
    out = np.full(len(x), np.nan)
    out[n - 1] = x[:n].mean()
    k = 2.0 / (n + 1)
    for t in range(n, len(x)):
        out[t] = out[t - 1] + k * (x[t] - out[t - 1])
    return out


def wilder(x: np.ndarray, n: int, first: int) -> np.ndarray:
    """Wilder smoothing of x: mean of x[first-n+1 .. first], then (prev*(n-1) + x)/n."""
    out = np.full(len(x), np.nan)
    out[first] = x[first - n + 1 : first + 1].mean()
    for t in range(first + 1, len(x)):
        out[t] = (out[t - 1] * (n - 1) + x[t]) / n
    return out


def rsi(close: np.ndarray, n: int) -> np.ndarray:
    change = np.r_[np.nan, np.diff(close)]
    gain = wilder(np.where(change > 0, change, 0.0), n, n)
    loss = wilder(np.where(change < 0, -change, 0.0), n, n)
    return 100.0 * gain / (gain + loss)


def true_range(high: np.ndarray, low: np.ndarray, close: np.ndarray) -> np.ndarray:
    previous = np.r_[np.nan, close[:-1]]
    return np.fmax(high - low, np.fmax(np.abs(high - previous), np.abs(low - previous)))


def atr(high: np.ndarray, low: np.ndarray, close: np.ndarray, n: int) -> np.ndarray:
    return wilder(true_range(high, low, close), n, n)


def close_enough(actual: pd.Series, expected: np.ndarray, start: int, rtol: float = 1e-9) -> None:
    np.testing.assert_allclose(actual.to_numpy()[start:], expected[start:], rtol=rtol, atol=1e-9)


@pytest.mark.parametrize("n", [5, 10, 20, 50, 200])
def test_sma(bars, features, n):
    close_enough(features[f"sma_{n}"], sma(bars.close.to_numpy(), n), n - 1)


@pytest.mark.parametrize("n", [5, 10, 20, 50, 200])
def test_ema_is_seeded_with_the_simple_mean(bars, features, n):
    close_enough(features[f"ema_{n}"], ema(bars.close.to_numpy(), n), n - 1)


@pytest.mark.parametrize("n", [7, 14, 21])
def test_rsi_uses_wilder_smoothing(bars, features, n):
    close_enough(features[f"rsi_{n}"], rsi(bars.close.to_numpy(), n), n)


@pytest.mark.parametrize("n", [7, 14, 21])
def test_atr_uses_wilder_smoothing_of_true_range(bars, features, n):
    expected = atr(bars.high.to_numpy(), bars.low.to_numpy(), bars.close.to_numpy(), n)
    close_enough(features[f"atr_{n}"], expected, n)


def test_macd_after_the_unstable_period(bars, features):
    close = bars.close.to_numpy()
    line = ema(close, 12) - ema(close, 26)
    signal = np.full(len(close), np.nan)
    signal[25:] = ema(line[25:], 9)
    close_enough(features["macd_12_26_9"], line, SETTLED, rtol=1e-8)
    close_enough(features["macd_12_26_9_signal"], signal, SETTLED, rtol=1e-8)
    close_enough(features["macd_12_26_9_hist"], line - signal, SETTLED, rtol=1e-6)


def test_bollinger_bands_use_population_deviation(bars, features):
    close = pd.Series(bars.close.to_numpy())
    middle = close.rolling(20).mean().to_numpy()
    width = 2.0 * close.rolling(20).std(ddof=0).to_numpy()
    close_enough(features["bbands_20_middleband"], middle, 19)
    close_enough(features["bbands_20_upperband"], middle + width, 19)
    close_enough(features["bbands_20_lowerband"], middle - width, 19)


def test_obv_accumulates_signed_volume(bars, features):
    close, volume = bars.close.to_numpy(), bars.volume.to_numpy()
    signed = np.sign(np.diff(close)) * volume[1:]
    expected = volume[0] + np.r_[0.0, np.cumsum(signed)]
    close_enough(features["obv"], expected, 0)


def test_slow_stochastic(bars, features):
    high, low, close = (bars[c] for c in ("high", "low", "close"))
    lowest, highest = low.rolling(5).min(), high.rolling(5).max()
    fast_k = 100.0 * (close - lowest) / (highest - lowest)
    slow_k = fast_k.rolling(3).mean()
    slow_d = slow_k.rolling(3).mean()
    close_enough(features["stoch_5_3_3_slowk"], slow_k.to_numpy(), 8)
    close_enough(features["stoch_5_3_3_slowd"], slow_d.to_numpy(), 8)
