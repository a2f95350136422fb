"""Every family of the catalogue: complete outputs, no look-ahead, and the job writes them all.

The no-look-ahead property is checked for every view of every family at once: removing all
inputs after time t (bars, filings, headlines, market rows) leaves every value at t unchanged.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from axiom_features.ingest import import_frame
from axiom_features.lakes.fundamentals import FundamentalsLake
from axiom_features.lakes.news import NewsLake
from axiom_features.paths import RepoPaths
from axiom_features.pipeline.family_inputs import market_closes
from axiom_features.pipeline.transform_job import run_transform_job
from axiom_features.synthetic.bars import generate_bars
from axiom_features.synthetic.fundamentals import generate_fundamentals, price_levels_of
from axiom_features.synthetic.news import generate_news
from transforms.catalogue import catalogue
from transforms.families import FAMILIES
from transforms.family import Family, SymbolInputs

END = datetime(2026, 3, 31, 22, tzinfo=UTC)
SYMBOLS = ["AXM", "BLQ", "CRX"]


@pytest.fixture(scope="module")
def world() -> dict[str, pd.DataFrame]:
    bars = generate_bars(SYMBOLS, 320, seed=5, end=END)
    sessions = pd.DatetimeIndex(bars["event_timestamp"].drop_duplicates().sort_values())
    news = generate_news(SYMBOLS, sessions, seed=5, bars=bars)
    filings = generate_fundamentals(
        SYMBOLS,
        start=sessions[0] - pd.Timedelta(days=500),
        end=END,
        seed=5,
        price_levels=price_levels_of(bars),
    )
    market = bars.pivot(index="event_timestamp", columns="symbol", values="close")
    return {"bars": bars, "news": news, "filings": filings, "market": market}


def _inputs(world: dict[str, pd.DataFrame], symbol: str, cut: pd.Timestamp | None = None):
    bars = world["bars"][world["bars"]["symbol"] == symbol]
    news = world["news"][world["news"]["symbol"] == symbol]
    filings = world["filings"][world["filings"]["symbol"] == symbol]
    market = world["market"]
    if cut is not None:
        bars = bars[bars["event_timestamp"] <= cut]
        news = news[news["published_at"] <= cut]
        filings = filings[filings["filing_timestamp"] <= cut]
        market = market[market.index <= cut]
    columns = ["event_timestamp", "open", "high", "low", "close", "volume"]
    return SymbolInputs(
        symbol,
        bars[columns].reset_index(drop=True),
        news=news.sort_values("published_at").reset_index(drop=True),
        fundamentals=filings.sort_values("filing_timestamp").reset_index(drop=True),
        market=market,
    )


def _views(family: Family):
    return [v for v in catalogue().views.values() if catalogue().family_of(v.name) == family.name]


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_family_returns_every_feature_of_its_views_one_row_per_bar(world, family) -> None:
    inputs = _inputs(world, "BLQ")
    out = family.compute(_views(family), inputs)
    expected = [f.name for v in _views(family) for f in v.features]
    assert list(out.columns) == expected
    assert len(out) == len(inputs.bars)
    assert (out.dtypes == np.float64).all()


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_no_value_changes_when_the_future_is_removed(world, family) -> None:
    views = _views(family)
    full = family.compute(views, _inputs(world, "CRX"))
    stamps = _inputs(world, "CRX").bars["event_timestamp"]
    for position in (40, 150, 260, 319):
        cut = stamps.iloc[position]
        past = family.compute(views, _inputs(world, "CRX", cut))
        pd.testing.assert_frame_equal(
            past.reset_index(drop=True),
            full.iloc[: position + 1].reset_index(drop=True),
            check_exact=True,
            obj=f"{family.name} cut at row {position}",
        )


def test_the_job_writes_every_view_of_every_family(world, tmp_path: Path) -> None:
    repo = RepoPaths(tmp_path)
    import_frame(world["bars"], repo, run_id="r", source="synthetic")
    NewsLake(repo).upsert(world["news"])
    FundamentalsLake(repo).upsert(world["filings"])
    result = run_transform_job(repo, workers=2)
    assert set(result.rows_per_view) == set(catalogue().views)
    assert set(result.rows_per_view.values()) == {len(world["bars"])}

    risk = pq.read_table(repo.offline_view("risk") / "AXM.parquet").to_pandas()
    direct = next(f for f in FAMILIES if f.name == "risk").compute(
        [catalogue().view("risk")], _inputs(world, "AXM")
    )
    np.testing.assert_array_equal(
        risk["risk_beta_63"].to_numpy(), direct["risk_beta_63"].to_numpy()
    )
    assert market_closes(repo).shape == (320, 3)

    pe = pq.read_table(repo.offline_view("fundamentals_valuation") / "AXM.parquet").to_pandas()
    assert pe["f_pe"].notna().mean() > 0.5

    sentiment = pq.read_table(repo.offline_view("sentiment_daily") / "BLQ.parquet").to_pandas()
    blq_news = world["news"][world["news"]["symbol"] == "BLQ"]
    assert (
        sentiment["sent_count"].sum()
        == (
            (blq_news["published_at"] > sentiment["event_timestamp"].min())
            & (blq_news["published_at"] <= sentiment["event_timestamp"].max())
        ).sum()
    )
