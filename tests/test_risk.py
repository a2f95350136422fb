"""Risk features: equal to direct implementations, causal, NaN exactly in warm-up."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from axiom_features.synthetic.bars import generate_bars
from transforms.catalogue import catalogue
from transforms.family import SymbolInputs
from transforms.risk import RISK, RiskFamily

END = datetime(2024, 6, 28, tzinfo=UTC)
DAYS = 400
CUTS = (70, 260, 330, 399)
VIEWS = RISK.views()
FEATURES = VIEWS[0].features


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
    return {s: RISK.compute(VIEWS, SymbolInputs(s, b, market=market)) for s, b in bars.items()}


def _loop(n: int, start: int, value) -> np.ndarray:
    out = np.full(n, np.nan)
    for t in range(start, n):
        out[t] = value(t)
    return out


def equal_weight_return(market: pd.DataFrame) -> pd.Series:
    """Mean of the simple returns available at each market row; missing where fewer than two
    symbols have one (a market of one symbol is the symbol itself)."""
    returns = market.pct_change(fill_method=None)
    return returns.mean(axis=1, skipna=True).where(returns.notna().sum(axis=1) >= 2)


def reference(b: pd.DataFrame, benchmark: pd.Series) -> dict[str, np.ndarray]:
    """Every risk feature computed window by window from its definition."""
    close = b["close"].to_numpy()
    r = pd.Series(close).pct_change().to_numpy()
    m = benchmark.reindex(pd.DatetimeIndex(b["event_timestamp"])).to_numpy()
    n = len(r)
    ref: dict[str, np.ndarray] = {}
    for w in (63, 252):
        ref[f"risk_beta_{w}"] = _loop(
            n,
            w,
            lambda t, w=w: (
                np.cov(r[t - w + 1 : t + 1], m[t - w + 1 : t + 1])[0, 1]
                / np.var(m[t - w + 1 : t + 1], ddof=1)
            ),
        )
    for w in (21, 63, 252):
        ref[f"risk_vol_{w}"] = (pd.Series(r).rolling(w).std() * np.sqrt(252)).to_numpy()
    ref["risk_downside_dev_63"] = _loop(
        n, 63, lambda t: np.sqrt(252 * np.mean(np.minimum(r[t - 62 : t + 1], 0) ** 2))
    )

    def drawdown(t: int) -> float:
        peak, worst = -np.inf, 0.0
        for price in close[t - 252 : t + 1]:
            peak = max(peak, price)
            worst = max(worst, 1 - price / peak)
        return worst

    ref["risk_max_drawdown_252"] = _loop(n, 252, drawdown)
    for pct, worst in ((95, 13), (99, 3)):
        level = 1 - pct / 100
        ref[f"risk_var_{pct}_252"] = _loop(
            n, 252, lambda t, q=level: -np.quantile(r[t - 251 : t + 1], q)
        )
        ref[f"risk_cvar_{pct}_252"] = _loop(
            n, 252, lambda t, k=worst: -np.sort(r[t - 251 : t + 1])[:k].mean()
        )
    ref["risk_skew_63"] = _loop(n, 63, lambda t: stats.skew(r[t - 62 : t + 1], bias=False))
    ref["risk_kurt_63"] = _loop(n, 63, lambda t: stats.kurtosis(r[t - 62 : t + 1], bias=False))
    return ref


@pytest.fixture(scope="module")
def expected(data) -> dict[str, dict[str, np.ndarray]]:
    bars, market = data
    benchmark = equal_weight_return(market)
    return {s: reference(b, benchmark) for s, b in bars.items()}


def test_every_feature_is_checked_against_a_reference(expected) -> None:
    for ref in expected.values():
        assert set(ref) == {f.name for f in FEATURES}


@pytest.mark.parametrize("name", [f.name for f in FEATURES])
def test_feature_equals_its_direct_implementation(name: str, expected, computed) -> None:
    for symbol, ref in expected.items():
        np.testing.assert_allclose(
            computed[symbol][name].to_numpy(),
            ref[name],
            rtol=1e-9,
            atol=1e-12,
            equal_nan=True,
        )


def test_a_configured_benchmark_symbol_replaces_the_market_average(data) -> None:
    bars, market = data
    family = RiskFamily(benchmark="BLQ")
    views = family.views()
    assert views[0].version != VIEWS[0].version
    b = bars["AXM"]
    out = family.compute(views, SymbolInputs("AXM", b, market=market))
    expected = reference(b, market["BLQ"].pct_change(fill_method=None))
    for name in ("risk_beta_63", "risk_beta_252"):
        np.testing.assert_allclose(out[name], expected[name], rtol=1e-9, equal_nan=True)
    own = family.compute(views, SymbolInputs("BLQ", bars["BLQ"], market=market))
    assert np.allclose(own["risk_beta_63"].dropna(), 1.0)


def test_an_absent_benchmark_symbol_falls_back_to_the_market_average(data, computed) -> None:
    bars, market = data
    family = RiskFamily(benchmark="NOPE")
    out = family.compute(family.views(), SymbolInputs("AXM", bars["AXM"], market=market))
    pd.testing.assert_series_equal(out["risk_beta_63"], computed["AXM"]["risk_beta_63"])


def test_missing_market_closes_drop_out_of_the_average(data) -> None:
    bars, market = data
    holed = market.copy()
    rng = np.random.default_rng(5)
    holed = holed.mask(rng.random(holed.shape) < 0.1)
    holed["AXM"] = market["AXM"]
    b = bars["AXM"]
    out = RISK.compute(VIEWS, SymbolInputs("AXM", b, market=holed))
    expected = reference(b, equal_weight_return(holed))
    np.testing.assert_allclose(
        out["risk_beta_63"], expected["risk_beta_63"], rtol=1e-9, equal_nan=True
    )
    assert out["risk_beta_63"].notna().sum() > 0


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
        out = RISK.compute(VIEWS, SymbolInputs(symbol, early, market=visible))
        pd.testing.assert_frame_equal(out, computed[symbol].iloc[: cut + 1], rtol=1e-12)


def test_risk_needs_the_market_frame(data) -> None:
    bars, _ = data
    with pytest.raises(ValueError, match="market"):
        RISK.compute(VIEWS, SymbolInputs("AXM", bars["AXM"]))


def test_specs_follow_the_family_conventions() -> None:
    assert RISK.name == "risk" and RISK.needs == frozenset({"market"})
    (view,) = VIEWS
    assert view.name == "risk" and view.ttl.days == 7
    for f in FEATURES:
        assert f.name.startswith("risk_") and f.transform == "risk"
        assert f.version == "risk-1" and f.dtype == "float64" and f.description
    taken = {f.name for f in catalogue().features if f.transform != "risk"}
    assert not taken & {f.name for f in FEATURES}
