"""The fundamentals family: its specs, and its values against a straightforward computation."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from axiom_features.contracts.fundamentals import FUNDAMENTALS_SCHEMA
from transforms.catalogue import Catalogue, catalogue
from transforms.family import EXTRA_INPUTS, SymbolInputs
from transforms.fundamentals import FUNDAMENTALS

VIEWS = FUNDAMENTALS.views()
RATIO_VIEWS = {
    "fundamentals_valuation",
    "fundamentals_profitability",
    "fundamentals_liquidity",
    "fundamentals_leverage",
    "fundamentals_efficiency",
    "fundamentals_growth",
}

# ---------------------------------------------------------------- a small hand-made company


def quarter(i: int, end: str, **changes: float) -> dict:
    """Quarter ``i`` of a company growing by 10 a quarter, filed 30 days later at 12:00."""
    revenue = 100.0 + 10 * i
    operating = 0.2 * revenue
    tax = 0.2 * (operating - 2)
    row = {
        "symbol": "HMD",
        "fiscal_period": f"{end[:4]}Q{(int(end[5:7]) - 1) // 3 + 1}",
        "period_end": pd.Timestamp(end, tz="UTC"),
        "filing_timestamp": pd.Timestamp(end, tz="UTC") + pd.Timedelta(days=30, hours=12),
        "revenue": revenue,
        "cost_of_revenue": 0.6 * revenue,
        "gross_profit": 0.4 * revenue,
        "operating_income": operating,
        "ebitda": 0.25 * revenue,
        "interest_expense": 2.0,
        "income_tax": tax,
        "net_income": operating - 2 - tax,
        "eps_diluted": (operating - 2 - tax) / 10,
        "total_assets": 1000.0 + 10 * i,
        "current_assets": 300.0,
        "cash_and_equivalents": 100.0,
        "receivables": 80.0,
        "inventory": 60.0,
        "total_liabilities": 500.0,
        "current_liabilities": 150.0,
        "short_term_debt": 40.0,
        "long_term_debt": 160.0,
        "total_equity": 500.0 + 10 * i,
        "operating_cash_flow": operating - 2 - tax + 0.05 * revenue,
        "capital_expenditure": 5.0,
        "dividends_paid": 3.0,
        "share_repurchases": 2.0,
        "shares_outstanding": 10.0,
        "created_timestamp": pd.Timestamp("2025-06-01", tz="UTC"),
        "source": "hand",
    }
    row.update(changes)
    return row


ENDS = [
    "2022-12-31", "2023-03-31", "2023-06-30", "2023-09-30", "2023-12-31",
    "2024-03-31", "2024-06-30", "2024-09-30", "2024-12-31",
]  # fmt: skip
RESTATED_AT = pd.Timestamp("2024-09-15 12:00", tz="UTC")


def hand_filings() -> pd.DataFrame:
    rows = [quarter(i, end) for i, end in enumerate(ENDS)]
    restated = quarter(5, ENDS[5], filing_timestamp=RESTATED_AT, revenue=165.0, net_income=20.0)
    restated["gross_profit"] = 0.4 * 165.0
    rows.append(restated)
    frame = pd.DataFrame(rows).sort_values("filing_timestamp", kind="stable")
    return frame[FUNDAMENTALS_SCHEMA.names].reset_index(drop=True)


def hand_bars() -> pd.DataFrame:
    times = pd.date_range("2023-01-02 21:00", "2025-03-31 21:00", freq="D", tz="UTC")
    close = 50 + 10 * np.sin(np.arange(len(times)) / 20)
    return pd.DataFrame(
        {
            "event_timestamp": times,
            "open": close,
            "high": close,
            "low": close,
            "close": close,
            "volume": 1e6,
        }
    )


def computed() -> pd.DataFrame:
    return FUNDAMENTALS.compute(VIEWS, SymbolInputs("HMD", hand_bars(), hand_filings()))


# ---------------------------------------------------------------- the straightforward computation


def known_quarters(filings: pd.DataFrame, t: pd.Timestamp) -> pd.DataFrame:
    """Per fiscal quarter, its latest filing public at ``t``; oldest quarter first."""
    public = filings[filings["filing_timestamp"] <= t].sort_values("filing_timestamp")
    latest = public.groupby("fiscal_period").tail(1)
    return latest.sort_values("period_end").reset_index(drop=True)


def div(a: float, b: float) -> float:
    return a / b if b > 0 else np.nan


def reference_row(q: pd.DataFrame, close: float, t: pd.Timestamp, filings_known: int) -> dict:
    if q.empty:
        return {"f_filings_known": 0.0}
    last = q.iloc[-1]
    days = (last["period_end"] - q["period_end"]).dt.days.to_numpy()
    ttm_ok = len(q) >= 4 and 250 <= days[-4] <= 300
    year_ago = q[(days >= 350) & (days <= 380)]
    ttm_ago_ok = len(q) >= 8 and 350 <= days[-5] <= 380 and 250 <= days[-8] - days[-5] <= 300

    def ttm(field: str) -> float:
        return q[field].iloc[-4:].sum() if ttm_ok else np.nan

    def ttm_ago(field: str) -> float:
        return q[field].iloc[-8:-4].sum() if ttm_ago_ok else np.nan

    ago = year_ago.iloc[0] if len(year_ago) else None
    prev = q.iloc[-2] if len(q) >= 2 and 80 <= days[-2] <= 100 else None
    debt = last["short_term_debt"] + last["long_term_debt"]
    market_cap = close * last["shares_outstanding"]
    ev = market_cap + debt - last["cash_and_equivalents"]
    return {
        "f_pe": div(close, ttm("eps_diluted")),
        "f_earnings_yield": ttm("eps_diluted") / close,
        "f_pb": div(market_cap, last["total_equity"]),
        "f_ps": div(market_cap, ttm("revenue")),
        "f_ev_ebitda": div(ev, ttm("ebitda")),
        "f_dividend_yield": ttm("dividends_paid") / market_cap,
        "f_gross_margin": div(ttm("gross_profit"), ttm("revenue")),
        "f_net_margin": div(ttm("net_income"), ttm("revenue")),
        "f_operating_margin_q": div(last["operating_income"], last["revenue"]),
        "f_roe": div(ttm("net_income"), last["total_equity"]),
        "f_current_ratio": div(last["current_assets"], last["current_liabilities"]),
        "f_quick_ratio": div(
            last["current_assets"] - last["inventory"], last["current_liabilities"]
        ),
        "f_cash_ratio": div(last["cash_and_equivalents"], last["current_liabilities"]),
        "f_debt_to_equity": div(debt, last["total_equity"]),
        "f_net_debt_to_ebitda": div(debt - last["cash_and_equivalents"], ttm("ebitda")),
        "f_interest_coverage": div(ttm("operating_income"), ttm("interest_expense")),
        "f_asset_turnover": div(ttm("revenue"), last["total_assets"]),
        "f_inventory_turnover": div(ttm("cost_of_revenue"), last["inventory"]),
        "f_dso": 365 * div(last["receivables"], ttm("revenue")),
        "f_revenue_growth_yoy": div(last["revenue"], ago["revenue"]) - 1
        if ago is not None
        else np.nan,
        "f_revenue_growth_qoq": div(last["revenue"], prev["revenue"]) - 1
        if prev is not None
        else np.nan,
        "f_revenue_growth_ttm": div(ttm("revenue"), ttm_ago("revenue")) - 1,
        "f_eps_growth_ttm": div(ttm("eps_diluted"), ttm_ago("eps_diluted")) - 1,
        "f_days_since_filing": (t - q["filing_timestamp"].max()) / pd.Timedelta(days=1),
        "f_filings_known": float(filings_known),
    }


def reference(filings: pd.DataFrame, bars: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for t, close in zip(bars["event_timestamp"], bars["close"], strict=True):
        known = int((filings["filing_timestamp"] <= t).sum())
        rows.append(reference_row(known_quarters(filings, t), close, t, known))
    return pd.DataFrame(rows, index=bars.index)


# ---------------------------------------------------------------- specs


def test_the_family_reads_fundamentals_and_names_itself():
    assert FUNDAMENTALS.name == "fundamentals"
    assert FUNDAMENTALS.needs == frozenset({"fundamentals"}) <= EXTRA_INPUTS


def test_at_least_fifty_ratios_across_the_six_ratio_views_plus_meta():
    counts = {v.name: len(v.features) for v in VIEWS}
    assert set(counts) == RATIO_VIEWS | {"fundamentals_meta"}
    assert sum(counts[v] for v in RATIO_VIEWS) >= 50
    assert all(counts[v] >= 5 for v in counts)


def test_feature_names_are_unique_across_the_whole_catalogue():
    others = [
        v for v in catalogue().views.values() if catalogue().family_of(v.name) != "fundamentals"
    ]
    merged = Catalogue.of([*others, *VIEWS])
    assert len(merged.features) == sum(len(v.features) for v in [*others, *VIEWS])
    assert {v.name for v in VIEWS} <= set(catalogue().views)
    assert all(f.name.startswith("f_") for v in VIEWS for f in v.features)


def test_specs_describe_a_point_in_time_quarterly_transform():
    contract_fields = set(FUNDAMENTALS_SCHEMA.names) | {"close"}
    for view in VIEWS:
        assert view.ttl == timedelta(days=120)
        for feature in view.features:
            assert feature.transform == "fundamentals"
            assert feature.version == "fundamentals-1"
            assert feature.warmup == 0
            assert feature.dtype == "float64"
            assert set(feature.inputs) <= contract_fields, feature.name
            assert feature.description


def test_specs_say_which_fields_and_quarters_a_ratio_uses():
    features = {f.name: f for v in VIEWS for f in v.features}
    pe = features["f_pe"]
    assert pe.function == "close / eps_diluted_ttm"
    assert pe.inputs == ("close", "eps_diluted")
    assert dict(pe.parameters) == {"quarters": 4}
    assert dict(features["f_current_ratio"].parameters) == {"quarters": 1}
    assert dict(features["f_revenue_growth_yoy"].parameters) == {"quarters": 1, "lag_quarters": 4}
    assert dict(features["f_revenue_growth_ttm"].parameters) == {"quarters": 4, "lag_quarters": 4}
    assert dict(features["f_filings_known"].parameters) == {}


def test_compute_returns_one_float_column_per_feature_in_order_on_the_bars_index():
    bars = hand_bars()
    bars.index = bars.index + 100
    views = [v for v in VIEWS if v.name in {"fundamentals_growth", "fundamentals_liquidity"}]
    out = FUNDAMENTALS.compute(views, SymbolInputs("HMD", bars, hand_filings()))
    assert list(out.columns) == [f.name for v in views for f in v.features]
    assert out.index.equals(bars.index)
    assert (out.dtypes == "float64").all()


# ---------------------------------------------------------------- values


@pytest.fixture(scope="module")
def both() -> tuple[pd.DataFrame, pd.DataFrame]:
    expected = reference(hand_filings(), hand_bars())
    return computed()[expected.columns], expected


@pytest.mark.parametrize(
    "name",
    [
        "f_pe", "f_earnings_yield", "f_pb", "f_ps", "f_ev_ebitda", "f_dividend_yield",
        "f_gross_margin", "f_net_margin", "f_operating_margin_q", "f_roe",
        "f_current_ratio", "f_quick_ratio", "f_cash_ratio",
        "f_debt_to_equity", "f_net_debt_to_ebitda", "f_interest_coverage",
        "f_asset_turnover", "f_inventory_turnover", "f_dso",
        "f_revenue_growth_yoy", "f_revenue_growth_qoq", "f_revenue_growth_ttm", "f_eps_growth_ttm",
        "f_days_since_filing", "f_filings_known",
    ],
)  # fmt: skip
def test_values_match_the_straightforward_computation(both, name):
    actual, expected = both
    np.testing.assert_allclose(actual[name], expected[name], rtol=1e-12, equal_nan=True)
    assert actual[name].notna().any()


def test_hand_checked_values_on_one_day():
    bars, out = hand_bars(), computed()
    t = pd.Timestamp("2024-08-15 21:00", tz="UTC")  # 2024Q2 (i=6) is the latest filing
    on_day = (bars["event_timestamp"] == t).to_numpy()
    row, close = out[on_day].iloc[0], bars.loc[on_day, "close"].iloc[0]
    revenue_ttm = 130 + 140 + 150 + 160  # i = 3..6
    assert row["f_gross_margin"] == pytest.approx(0.4)
    assert row["f_current_ratio"] == pytest.approx(2.0)
    assert row["f_debt_to_equity"] == pytest.approx(200 / 560)
    assert row["f_pb"] == pytest.approx(close * 10 / 560)
    assert row["f_ev_ebitda"] == pytest.approx((close * 10 + 200 - 100) / (0.25 * revenue_ttm))
    assert row["f_revenue_growth_yoy"] == pytest.approx(160 / 120 - 1)
    net_income_ttm = sum(0.8 * (0.2 * r - 2) for r in (130, 140, 150, 160))
    assert row["f_roe"] == pytest.approx(net_income_ttm / 560)
    assert row["f_pe"] == pytest.approx(close / (net_income_ttm / 10))


def test_values_are_nan_until_enough_filings_are_public():
    bars, out = hand_bars(), computed()
    before_any = bars["event_timestamp"] < pd.Timestamp("2023-01-30 12:00", tz="UTC")
    counts = ["f_filings_known", "f_quarters_known", "f_restated_quarters_known"]
    assert out.loc[before_any].drop(columns=counts).isna().all().all()
    assert (out.loc[before_any, "f_filings_known"] == 0).all()
    before_ttm = bars["event_timestamp"] < pd.Timestamp("2023-10-30 12:00", tz="UTC")
    assert out.loc[before_ttm, "f_pe"].isna().all()
    assert out.loc[~before_ttm, "f_pe"].notna().all()
    assert out.loc[before_ttm & ~before_any, "f_current_ratio"].notna().all()


def test_the_restatement_changes_values_from_its_filing_time_on_and_not_before():
    bars = hand_bars()
    original = hand_filings()
    original = original[original["filing_timestamp"] != RESTATED_AT]
    before = FUNDAMENTALS.compute(VIEWS, SymbolInputs("HMD", bars, original))
    after = computed()
    early = (bars["event_timestamp"] < RESTATED_AT).to_numpy()
    pd.testing.assert_frame_equal(after[early], before[early])
    first_after = np.flatnonzero(~early)[0]
    for name in ("f_ps", "f_revenue_growth_ttm", "f_net_margin", "f_roe"):
        assert after[name].iloc[first_after] != before[name].iloc[first_after], name
    assert after["f_restated_quarters_known"].iloc[first_after] == 1


# ---------------------------------------------------------------- NaN rules


def compute_with(**changes: float) -> pd.DataFrame:
    rows = [quarter(i, end, **changes) for i, end in enumerate(ENDS)]
    filings = pd.DataFrame(rows)[FUNDAMENTALS_SCHEMA.names]
    bars = hand_bars().iloc[-5:].reset_index(drop=True)
    return FUNDAMENTALS.compute(VIEWS, SymbolInputs("HMD", bars, filings))


def test_losses_make_pe_nan_but_keep_a_negative_earnings_yield():
    out = compute_with(eps_diluted=-0.5, net_income=-5.0)
    assert out["f_pe"].isna().all()
    assert (out["f_earnings_yield"] < 0).all()
    assert out["f_peg"].isna().all()
    assert (out["f_net_margin"] < 0).all()


def test_negative_equity_makes_equity_ratios_nan():
    out = compute_with(total_equity=-50.0)
    for name in ("f_pb", "f_roe", "f_debt_to_equity", "f_equity_multiplier"):
        assert out[name].isna().all(), name
    assert (out["f_book_to_market"] < 0).all()  # the denominator, market cap, is positive


def test_no_inventory_makes_inventory_turnover_nan_and_days_zero():
    out = compute_with(inventory=0.0)
    assert out["f_inventory_turnover"].isna().all()
    assert (out["f_dio"] == 0).all()
    assert out["f_quick_ratio"].equals(out["f_current_ratio"])


def test_a_missing_quarter_breaks_ttm_instead_of_spanning_the_gap():
    rows = [quarter(i, end) for i, end in enumerate(ENDS) if end != "2024-06-30"]
    filings = pd.DataFrame(rows)[FUNDAMENTALS_SCHEMA.names]
    bars = hand_bars()
    out = FUNDAMENTALS.compute(VIEWS, SymbolInputs("HMD", bars, filings))
    gap = (bars["event_timestamp"] > pd.Timestamp("2024-10-30 12:00", tz="UTC")) & (
        bars["event_timestamp"] < pd.Timestamp("2025-01-30 12:00", tz="UTC")
    )
    assert gap.any()
    assert out.loc[gap, "f_gross_margin"].isna().all()  # 2023Q4, 24Q1, 24Q3: not 4 in a row
    assert out.loc[gap, "f_revenue_growth_yoy"].notna().all()  # 2024Q3 vs 2023Q3 still known
    assert out.loc[gap, "f_revenue_growth_qoq"].isna().all()


def test_without_filings_every_ratio_is_nan_and_counts_are_zero():
    bars = hand_bars()
    for filings in (None, hand_filings().iloc[:0]):
        out = FUNDAMENTALS.compute(VIEWS, SymbolInputs("HMD", bars, filings))
        counts = ["f_filings_known", "f_quarters_known", "f_restated_quarters_known"]
        assert out.drop(columns=counts).isna().all().all()
        assert (out[counts] == 0).all().all()


def test_an_unknown_feature_is_refused():
    view = VIEWS[0]
    stray = type(view)(
        name=view.name,
        description="",
        features=(type(view.features[0])(**{**view.features[0].__dict__, "name": "f_nope"}),),
    )
    with pytest.raises(ValueError, match="f_nope"):
        FUNDAMENTALS.compute([stray], SymbolInputs("HMD", hand_bars(), hand_filings()))
