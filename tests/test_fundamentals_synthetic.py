"""The synthetic filings generator: deterministic, point-in-time shaped, plausible."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from axiom_features.contracts.fundamentals import FUNDAMENTALS_KEY, FUNDAMENTALS_SCHEMA
from axiom_features.synthetic.bars import generate_bars
from axiom_features.synthetic.fundamentals import generate_fundamentals, price_levels_of
from transforms.family import SymbolInputs
from transforms.fundamentals import FUNDAMENTALS

SPAN = {"start": "2015-01-01", "end": "2024-12-31"}


@pytest.fixture(scope="module")
def many() -> pd.DataFrame:
    return generate_fundamentals(50, seed=11, **SPAN)


def test_same_arguments_give_the_same_filings():
    first = generate_fundamentals(["AXM", "BLQ"], seed=3, **SPAN)
    second = generate_fundamentals(["AXM", "BLQ"], seed=3, **SPAN)
    pd.testing.assert_frame_equal(first, second)


def test_another_seed_gives_other_numbers():
    first = generate_fundamentals(["AXM"], seed=3, **SPAN)
    other = generate_fundamentals(["AXM"], seed=4, **SPAN)
    assert not np.allclose(first["revenue"].iloc[:10], other["revenue"].iloc[:10])


def test_a_symbols_filings_do_not_depend_on_the_other_symbols():
    alone = generate_fundamentals(["BLQ"], seed=3, **SPAN)
    together = generate_fundamentals(["AXM", "BLQ"], seed=3, **SPAN)
    blq = together[together["symbol"] == "BLQ"].reset_index(drop=True)
    pd.testing.assert_frame_equal(alone, blq)


def test_rows_follow_the_contract_with_a_unique_key(many):
    assert list(many.columns) == FUNDAMENTALS_SCHEMA.names
    assert not many.duplicated(list(FUNDAMENTALS_KEY)).any()
    assert str(many["filing_timestamp"].dtype) == "datetime64[us, UTC]"


def test_one_filing_per_quarter_filed_25_to_45_days_after_period_end(many):
    originals = many.drop_duplicates(["symbol", "fiscal_period"], keep="first")
    lag = (originals["filing_timestamp"] - originals["period_end"]).dt.days
    assert lag.between(25, 45).all()
    assert originals.groupby("symbol").size().eq(39).all()  # 2015Q1..2024Q3: Q4 is filed in 2025


def test_about_two_percent_of_quarters_are_restated_later(many):
    first = many.groupby(["symbol", "fiscal_period"])["filing_timestamp"].transform("min")
    restated = many[many["filing_timestamp"] > first]
    share = len(restated) / many.groupby(["symbol", "fiscal_period"]).ngroups
    assert 0.005 < share < 0.05
    assert (restated["filing_timestamp"] - first[restated.index]).dt.days.min() >= 20


def test_nothing_is_filed_after_end(many):
    assert many["filing_timestamp"].max() <= pd.Timestamp(SPAN["end"], tz="UTC")


def test_statements_are_internally_consistent(many):
    np.testing.assert_allclose(
        many["total_assets"], many["total_liabilities"] + many["total_equity"], rtol=1e-9
    )
    originals = many.drop_duplicates(["symbol", "fiscal_period"], keep="first")
    np.testing.assert_allclose(
        originals["gross_profit"], originals["revenue"] - originals["cost_of_revenue"], atol=2
    )
    assert (originals["gross_profit"] > originals["operating_income"]).all()
    assert (originals["ebitda"] >= originals["operating_income"]).all()
    assert (many["current_assets"] < many["total_assets"]).all()


def test_some_quarters_are_losses_but_most_are_profits(many):
    losses = (many["net_income"] < 0).mean()
    assert 0.005 < losses < 0.15


def test_revenue_grows_with_noise_and_seasonality(many):
    one = many[many["symbol"] == many["symbol"].iloc[0]].drop_duplicates("fiscal_period")
    revenue = one["revenue"].to_numpy()
    assert np.std(np.diff(np.log(revenue))) > 0.01


def test_price_levels_make_valuations_plausible():
    symbols = ["AXM", "BLQ", "CRX", "DNV", "ELP", "FYR"]
    bars = generate_bars(symbols, 756, seed=7, end=pd.Timestamp("2024-12-31", tz="UTC"))
    filings = generate_fundamentals(
        symbols, start="2021-01-01", end="2024-12-31", seed=7, price_levels=price_levels_of(bars)
    )
    views = [v for v in FUNDAMENTALS.views() if v.name == "fundamentals_valuation"]
    medians = []
    for symbol in symbols:
        inputs = SymbolInputs(
            symbol,
            bars[bars["symbol"] == symbol].reset_index(drop=True),
            filings[filings["symbol"] == symbol].reset_index(drop=True),
        )
        medians.append(FUNDAMENTALS.compute(views, inputs)[["f_pe", "f_pb", "f_ps"]].median())
    table = pd.DataFrame(medians)
    assert table["f_pe"].between(5, 80).all(), table
    assert table["f_pb"].between(0.2, 20).all(), table
    assert table["f_ps"].between(0.1, 20).all(), table
