"""Microstructure features: equal to direct implementations, causal, NaN exactly in warm-up."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from axiom_features.synthetic.bars import generate_bars
from transforms.catalogue import catalogue
from transforms.family import SymbolInputs
from transforms.microstructure import MICROSTRUCTURE

END = datetime(2024, 6, 28, tzinfo=UTC)
DAYS = 400
W = 21
CUTS = (30, 150, 260, 399)
VIEWS = MICROSTRUCTURE.views()
FEATURES = VIEWS[0].features


@pytest.fixture(scope="module")
def bars() -> dict[str, pd.DataFrame]:
    frame = generate_bars(4, DAYS, seed=11, end=END)
    columns = ["event_timestamp", "open", "high", "low", "close", "volume"]
    return {s: g[columns].reset_index(drop=True) for s, g in frame.groupby("symbol")}


@pytest.fixture(scope="module")
def computed(bars: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    return {s: MICROSTRUCTURE.compute(VIEWS, SymbolInputs(s, b)) for s, b in bars.items()}


def _loop(n: int, start: int, value) -> np.ndarray:
    """``value(t)`` for ``t >= start``, NaN before."""
    out = np.full(n, np.nan)
    for t in range(start, n):
        out[t] = value(t)
    return out


def _ohlcv(b: pd.DataFrame) -> tuple[np.ndarray, ...]:
    return tuple(b[c].to_numpy() for c in ("open", "high", "low", "close", "volume"))


def reference(b: pd.DataFrame) -> dict[str, np.ndarray]:
    """Every feature computed window by window, straight from its textbook formula."""
    o, h, lo, c, v = _ohlcv(b)
    n = len(c)
    ln2 = np.log(2.0)
    ref: dict[str, np.ndarray] = {}

    def window(t: int) -> slice:
        return slice(t - W + 1, t + 1)

    ref["ms_parkinson_vol_21"] = _loop(
        n, W - 1, lambda t: np.sqrt(252 * np.mean(np.log(h / lo)[window(t)] ** 2) / (4 * ln2))
    )

    def garman_klass(t: int) -> float:
        s = window(t)
        terms = 0.5 * np.log(h[s] / lo[s]) ** 2 - (2 * ln2 - 1) * np.log(c[s] / o[s]) ** 2
        return np.sqrt(252 * terms.mean())

    def rs_terms(s: slice) -> np.ndarray:
        return np.log(h[s] / c[s]) * np.log(h[s] / o[s]) + np.log(lo[s] / c[s]) * np.log(
            lo[s] / o[s]
        )

    def yang_zhang(t: int) -> float:
        s = window(t)
        overnight = np.log(o[s] / c[t - W : t])
        open_close = np.log(c[s] / o[s])
        k = 0.34 / (1.34 + (W + 1) / (W - 1))
        var = np.var(overnight, ddof=1) + k * np.var(open_close, ddof=1)
        return np.sqrt(252 * (var + (1 - k) * rs_terms(s).mean()))

    def roll(t: int) -> float:
        dp = np.diff(np.log(c))  # dp[i] = ln C[i+1] - ln C[i]
        current, previous = dp[t - W : t], dp[t - W - 1 : t - 1]
        cov = np.cov(current, previous, ddof=1)[0, 1]
        return 2 * np.sqrt(-cov) if cov < 0 else -2 * np.sqrt(cov)

    def cs_pair(t: int) -> float:
        high, low = h[t], lo[t]
        if low > c[t - 1]:
            high, low = high - (low - c[t - 1]), c[t - 1]
        elif high < c[t - 1]:
            high, low = c[t - 1], low + (c[t - 1] - high)
        beta = np.log(h[t - 1] / lo[t - 1]) ** 2 + np.log(high / low) ** 2
        gamma = np.log(max(h[t - 1], high) / min(lo[t - 1], low)) ** 2
        k = 3 - 2 * np.sqrt(2)
        alpha = (np.sqrt(2 * beta) - np.sqrt(beta)) / k - np.sqrt(gamma / k)
        return max(0.0, 2 * (np.exp(alpha) - 1) / (1 + np.exp(alpha)))

    pairs = _loop(n, 1, cs_pair)
    ref["ms_garman_klass_vol_21"] = _loop(n, W - 1, garman_klass)
    ref["ms_rogers_satchell_vol_21"] = _loop(
        n, W - 1, lambda t: np.sqrt(252 * rs_terms(window(t)).mean())
    )
    ref["ms_yang_zhang_vol_21"] = _loop(n, W, yang_zhang)
    ref["ms_roll_spread_21"] = _loop(n, W + 1, roll)
    ref["ms_cs_spread_21"] = _loop(n, W, lambda t: pairs[window(t)].mean())

    close, volume = pd.Series(c), pd.Series(v)
    returns = close.pct_change()
    clv = ((close - b["low"]) - (b["high"] - close)) / (b["high"] - b["low"])
    up = (returns > 0).astype(float).where(returns.notna())
    ref["ms_amihud_21"] = (returns.abs() / (close * volume) * 1e6).rolling(W).mean().to_numpy()
    ref["ms_clv_volume_share_21"] = (
        (clv * volume).rolling(W).sum() / volume.rolling(W).sum()
    ).to_numpy()
    ref["ms_up_volume_share_21"] = (
        (up * volume).rolling(W).sum() / volume.rolling(W).sum()
    ).to_numpy()
    ref["ms_body_range_21"] = (
        ((close - b["open"]) / (b["high"] - b["low"])).rolling(W).mean().to_numpy()
    )
    ref["ms_dollar_volume_21"] = (close * volume).rolling(W).mean().to_numpy()
    ref["ms_relative_volume_21"] = (volume / volume.rolling(W).mean()).to_numpy()
    return ref


@pytest.fixture(scope="module")
def expected(bars: dict[str, pd.DataFrame]) -> dict[str, dict[str, np.ndarray]]:
    return {s: reference(b) for s, b in bars.items()}


def test_every_feature_is_checked_against_a_reference(expected) -> None:
    for ref in expected.values():
        assert set(ref) == {f.name for f in FEATURES}


@pytest.mark.parametrize("name", [f.name for f in FEATURES])
def test_feature_equals_its_direct_implementation(
    name: str, expected, computed: dict[str, pd.DataFrame]
) -> None:
    for symbol, ref in expected.items():
        np.testing.assert_allclose(
            computed[symbol][name].to_numpy(), ref[name], rtol=1e-9, atol=1e-13, equal_nan=True
        )


def test_leading_nans_equal_the_declared_warmup(computed: dict[str, pd.DataFrame]) -> None:
    for out in computed.values():
        for f in FEATURES:
            values = out[f.name].to_numpy()
            assert np.isnan(values[: f.warmup]).all(), f.name
            assert not np.isnan(values[f.warmup :]).any(), f.name


@pytest.mark.parametrize("cut", CUTS)
def test_values_do_not_depend_on_later_bars(
    cut: int, bars: dict[str, pd.DataFrame], computed: dict[str, pd.DataFrame]
) -> None:
    for symbol, b in bars.items():
        early = MICROSTRUCTURE.compute(VIEWS, SymbolInputs(symbol, b.iloc[: cut + 1]))
        pd.testing.assert_frame_equal(early, computed[symbol].iloc[: cut + 1], rtol=1e-12)


def test_bars_without_range_count_as_neutral_flow() -> None:
    n = 30
    flat = pd.DataFrame(
        {
            "event_timestamp": pd.date_range("2024-01-01", periods=n, freq="D", tz="UTC"),
            "open": np.full(n, 10.0),
            "high": np.full(n, 10.0),
            "low": np.full(n, 10.0),
            "close": np.full(n, 10.0),
            "volume": np.full(n, 1000.0),
        }
    )
    out = MICROSTRUCTURE.compute(VIEWS, SymbolInputs("FLAT", flat)).iloc[-1]
    assert out["ms_clv_volume_share_21"] == 0.0
    assert out["ms_body_range_21"] == 0.0
    assert out["ms_cs_spread_21"] == 0.0
    assert out["ms_parkinson_vol_21"] == 0.0
    assert out["ms_relative_volume_21"] == 1.0


def test_zero_volume_leaves_its_windows_undefined(bars: dict[str, pd.DataFrame]) -> None:
    b = next(iter(bars.values())).copy()
    b.loc[100, "volume"] = 0.0
    out = MICROSTRUCTURE.compute(VIEWS, SymbolInputs("X", b))
    amihud = out["ms_amihud_21"].to_numpy()
    assert np.isnan(amihud[100 : 100 + W]).all()
    assert np.isfinite(amihud[99]) and np.isfinite(amihud[100 + W])


def test_specs_follow_the_family_conventions() -> None:
    assert MICROSTRUCTURE.name == "microstructure" and MICROSTRUCTURE.needs == frozenset()
    (view,) = VIEWS
    assert view.name == "microstructure" and view.ttl.days == 7
    for f in FEATURES:
        assert f.name.startswith("ms_") and f.transform == "microstructure"
        assert f.version == "microstructure-1" and f.dtype == "float64"
        assert f.parameters["window"] == W and f.description
    taken = {f.name for f in catalogue().features if f.transform != "microstructure"}
    assert not taken & {f.name for f in FEATURES}
