"""Regime features: equal to direct implementations, causal, market-wide where documented."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from axiom_features.synthetic.bars import generate_bars
from transforms import regime
from transforms.catalogue import catalogue
from transforms.family import SymbolInputs
from transforms.regime import REGIME, mean_pairwise_correlation

END = datetime(2024, 6, 28, tzinfo=UTC)
DAYS = 400
CUTS = (70, 200, 320, 360, 399)
VIEWS = REGIME.views()
FEATURES = VIEWS[0].features
MARKET_WIDE = ("regime_corr_mean_63", "regime_corr_rank_63_252", "regime_corr_code")


def load(symbols: int = 4, days: int = DAYS) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Per-symbol bars and the wide market closes, as the transform job passes them."""
    frame = generate_bars(symbols, days, seed=11, end=END)
    columns = ["event_timestamp", "open", "high", "low", "close", "volume"]
    bars = {s: g[columns].reset_index(drop=True) for s, g in frame.groupby("symbol")}
    market = frame.pivot(index="event_timestamp", columns="symbol", values="close")
    return bars, market


@pytest.fixture(scope="module")
def data() -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    return load()


@pytest.fixture(scope="module")
def computed(data) -> dict[str, pd.DataFrame]:
    bars, market = data
    return {s: REGIME.compute(VIEWS, SymbolInputs(s, b, market=market)) for s, b in bars.items()}


def pairwise_by_corrcoef(market: pd.DataFrame, window: int) -> np.ndarray:
    """Mean of the upper triangle of np.corrcoef over each window's complete columns."""
    returns = market.pct_change(fill_method=None).to_numpy()
    out = np.full(len(returns), np.nan)
    for t in range(window - 1, len(returns)):
        block = returns[t - window + 1 : t + 1]
        keep = np.isfinite(block).all(axis=0) & (np.std(block, axis=0) > 0)
        if keep.sum() >= 2:
            corr = np.corrcoef(block[:, keep].T)
            out[t] = corr[np.triu_indices(keep.sum(), k=1)].mean()
    return out


def code(rank: np.ndarray) -> np.ndarray:
    return np.where(
        np.isnan(rank), np.nan, np.where(rank <= 1 / 3, 0, np.where(rank > 2 / 3, 2, 1))
    )


def reference(b: pd.DataFrame, market: pd.DataFrame) -> dict[str, np.ndarray]:
    close = b["close"]
    r = close.pct_change()
    times = pd.DatetimeIndex(b["event_timestamp"])
    vol_rank = (r.rolling(21).std() * np.sqrt(252)).rolling(252).rank(pct=True).to_numpy()
    distance = (close / close.rolling(200).mean() - 1).to_numpy()
    slope = np.sign(close.rolling(50).mean().diff()).to_numpy()
    trend = np.where(
        (distance > 0) & (slope > 0), 1.0, np.where((distance < 0) & (slope < 0), -1.0, 0.0)
    )
    trend[np.isnan(distance) | np.isnan(slope)] = np.nan
    corr = pd.Series(pairwise_by_corrcoef(market, 63), index=market.index)
    corr_rank = corr.rolling(252).rank(pct=True)
    ew = market.pct_change(fill_method=None).mean(axis=1).reindex(times).to_numpy()
    return {
        "regime_vol_rank_21_252": vol_rank,
        "regime_vol_code": code(vol_rank),
        "regime_trend_dist_sma200": distance,
        "regime_trend_slope_sma50": slope,
        "regime_trend_code": trend,
        "regime_corr_mean_63": corr.reindex(times).to_numpy(),
        "regime_corr_rank_63_252": corr_rank.reindex(times).to_numpy(),
        "regime_corr_code": code(corr_rank.reindex(times).to_numpy()),
        "regime_corr_to_market_63": r.rolling(63).corr(pd.Series(ew)).to_numpy(),
    }


@pytest.fixture(scope="module")
def expected(data) -> dict[str, dict[str, np.ndarray]]:
    bars, market = data
    return {s: reference(b, market) for s, b in bars.items()}


def test_every_feature_is_checked_against_a_reference(expected) -> None:
    for ref in expected.values():
        assert set(ref) == {f.name for f in FEATURES}


@pytest.mark.parametrize("name", [f.name for f in FEATURES])
def test_feature_equals_its_direct_implementation(name: str, expected, computed) -> None:
    for symbol, ref in expected.items():
        np.testing.assert_allclose(
            computed[symbol][name].to_numpy(), ref[name], rtol=1e-9, atol=1e-12, equal_nan=True
        )


def test_mean_pairwise_correlation_equals_corrcoef_averaging_with_gaps() -> None:
    _, market = load(symbols=7, days=160)
    rng = np.random.default_rng(3)
    market = market.mask(rng.random(market.shape) < 0.02)
    market.iloc[40:, 2] = np.nan  # a delisted symbol leaves the average
    market.iloc[:, 5] = market.iloc[:, 5].where(market.index > market.index[60])  # a listing
    returns = market.pct_change(fill_method=None).to_numpy()
    ours = mean_pairwise_correlation(returns, 21)
    np.testing.assert_allclose(
        ours, pairwise_by_corrcoef(market, 21), rtol=1e-9, atol=1e-12, equal_nan=True
    )
    assert np.isfinite(ours[40:]).any()


def test_codes_take_only_their_documented_values(computed) -> None:
    allowed = {
        "regime_vol_code": {0.0, 1.0, 2.0},
        "regime_corr_code": {0.0, 1.0, 2.0},
        "regime_trend_code": {-1.0, 0.0, 1.0},
        "regime_trend_slope_sma50": {-1.0, 0.0, 1.0},
    }
    for out in computed.values():
        for name, values in allowed.items():
            assert set(out[name].dropna().unique()) <= values, name
        for rank, coded in (
            ("regime_vol_rank_21_252", "regime_vol_code"),
            ("regime_corr_rank_63_252", "regime_corr_code"),
        ):
            defined = out[rank].notna()
            assert out[rank][defined].between(0, 1, inclusive="right").all()
            np.testing.assert_array_equal(out[coded], code(out[rank].to_numpy()))


def test_correlation_regime_is_the_same_for_every_symbol_at_a_time(data) -> None:
    bars, market = data
    bars = dict(bars)
    late = bars["CRX"].iloc[120:].reset_index(drop=True)  # listed later
    bars["CRX"] = late
    market = market.copy()
    market.loc[market.index < late["event_timestamp"].iloc[0], "CRX"] = np.nan
    frames = []
    for symbol, b in bars.items():
        out = REGIME.compute(VIEWS, SymbolInputs(symbol, b, market=market))
        out.index = pd.DatetimeIndex(b["event_timestamp"])
        frames.append(out[list(MARKET_WIDE)].add_suffix(f"@{symbol}"))
    wide = pd.concat(frames, axis=1)
    for name in MARKET_WIDE:
        columns = wide[[c for c in wide.columns if c.startswith(name + "@")]]
        rows = columns.dropna(how="all")
        assert len(rows) > 0
        # every symbol that has a bar at that time sees the same value
        spread = rows.max(axis=1) - rows.min(axis=1)
        assert (spread == 0).all(), name
        assert rows.notna().sum(axis=1).min() >= 3


def test_market_wide_correlation_is_computed_once_per_market_frame(data, monkeypatch) -> None:
    bars, market = data
    calls = []
    original = regime.mean_pairwise_correlation

    def counting(returns: np.ndarray, window: int) -> np.ndarray:
        calls.append(window)
        return original(returns, window)

    monkeypatch.setattr(regime, "mean_pairwise_correlation", counting)
    fresh = market.copy()
    for symbol, b in bars.items():
        REGIME.compute(VIEWS, SymbolInputs(symbol, b, market=fresh))
    assert calls == [63]


def test_leading_nans_equal_the_declared_warmup(computed) -> None:
    for out in computed.values():
        for f in FEATURES:
            values = out[f.name].to_numpy()
            assert np.isnan(values[: f.warmup]).all(), f.name
            assert not np.isnan(values[f.warmup :]).any(), f.name


@pytest.mark.parametrize("cut", CUTS)
def test_values_do_not_depend_on_later_bars_or_market_rows(cut: int, data, computed) -> None:
    bars, market = data
    for symbol, b in bars.items():
        early = b.iloc[: cut + 1]
        visible = market.loc[: early["event_timestamp"].iloc[-1]]
        out = REGIME.compute(VIEWS, SymbolInputs(symbol, early, market=visible))
        pd.testing.assert_frame_equal(out, computed[symbol].iloc[: cut + 1], rtol=1e-12)


def test_specs_follow_the_family_conventions() -> None:
    assert REGIME.name == "regime" and REGIME.needs == frozenset({"market"})
    (view,) = VIEWS
    assert view.name == "regime" and view.ttl.days == 7
    for f in FEATURES:
        assert f.name.startswith("regime_") and f.transform == "regime"
        assert f.version == "regime-1" and f.dtype == "float64" and f.description
    taken = {f.name for f in catalogue().features if f.transform != "regime"}
    assert not taken & {f.name for f in FEATURES}


def test_market_wide_correlation_of_500_symbols_equals_numpy_corrcoef() -> None:
    rng = np.random.default_rng(0)
    common = rng.normal(0, 0.01, (2520, 1))
    returns = 0.5 * common + rng.normal(0, 0.01, (2520, 500))
    returns[rng.random(returns.shape) < 0.01] = np.nan
    ours = mean_pairwise_correlation(returns, 63)
    for t in (62, 1000, 2519):
        block = returns[t - 62 : t + 1]
        keep = np.isfinite(block).all(axis=0)
        corr = np.corrcoef(block[:, keep].T)
        assert ours[t] == pytest.approx(corr[np.triu_indices(keep.sum(), k=1)].mean(), rel=1e-9)
