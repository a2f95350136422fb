"""Deterministic synthetic quarterly filings for N symbols.

Each company draws a size, growth rate, seasonality, margins, capital structure and payout
policy once, then evolves quarter by quarter: log revenue is a random walk around its
growth trend plus a seasonal pattern; gross and operating margins wobble around their
levels, and about 4% of quarters take an operating shock that can push the quarter into a
loss. Interest follows debt, tax follows pre-tax profit, and the balance sheet balances
(``total_assets = total_liabilities + total_equity``).

Each quarter is filed 25–45 days after its period end, before the open (12:00 UTC) or after
the close (21:15 UTC). About 2% of filings are restated by a later filing of the same
quarter (20–300 days later) with revenue and earnings revised by a few percent. Filings
made after ``end`` are left out: the result is what was public at ``end``.

Share counts are set so that the market capitalisation at the symbol's price level is a
plausible multiple (12–30×) of its earnings; pass the price levels of the bars the filings
go with (:func:`price_levels_of`) so that P/E and the like come out realistic.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from datetime import datetime

import numpy as np
import pandas as pd

from axiom_features.contracts.fundamentals import FUNDAMENTALS_SCHEMA
from axiom_features.synthetic.bars import symbol_names

DEFAULT_PRICE_LEVEL = 50.0
RESTATEMENT_RATE = 0.02
FILING_LAG_DAYS = (25, 45)
FILING_MINUTES = (12 * 60, 21 * 60 + 15)
"""Minutes after midnight UTC of a filing: before the US open, or after the US close."""


def price_levels_of(bars: pd.DataFrame) -> dict[str, float]:
    """Median close per symbol: the price-level hint for :func:`generate_fundamentals`."""
    return {str(k): float(v) for k, v in bars.groupby("symbol")["close"].median().items()}


def quarter_ends(start: datetime | str, end: datetime | str) -> pd.DatetimeIndex:
    """Calendar quarter ends (midnight UTC) between ``start`` and ``end``, inclusive."""
    lo, hi = (_utc(t).tz_localize(None).normalize() for t in (start, end))
    return pd.date_range(lo, hi, freq="QE").tz_localize("UTC")


def generate_fundamentals(
    symbols: int | Sequence[str],
    *,
    start: datetime | str,
    end: datetime | str,
    seed: int = 7,
    price_levels: Mapping[str, float] | None = None,
    source: str = "synthetic",
) -> pd.DataFrame:
    """Filings of ``symbols`` (a count or names) for the quarters ending in [start, end].

    The same arguments always give the same rows; a symbol's filings do not depend on which
    other symbols are asked for. ``created_timestamp`` is the filing time (received when
    published). Rows are in the fundamentals contract, sorted by symbol and filing time.
    """
    names = symbol_names(symbols) if isinstance(symbols, int) else list(symbols)
    ends = quarter_ends(start, end)
    levels = price_levels or {}
    frames = [
        _company(name, ends, seed=seed, price=levels.get(name, DEFAULT_PRICE_LEVEL))
        for name in names
    ]
    filings = pd.concat(frames, ignore_index=True) if frames else _empty()
    filings = filings[filings["filing_timestamp"] <= _utc(end)]
    filings = filings.sort_values(["symbol", "filing_timestamp"], kind="stable")
    for column in ("period_end", "filing_timestamp"):
        filings[column] = filings[column].astype("datetime64[us, UTC]")
    filings["created_timestamp"] = filings["filing_timestamp"]
    filings["source"] = source
    return filings[FUNDAMENTALS_SCHEMA.names].reset_index(drop=True)


def _utc(value: datetime | str) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _empty() -> pd.DataFrame:
    return FUNDAMENTALS_SCHEMA.empty_table().to_pandas()


def _company(symbol: str, ends: pd.DatetimeIndex, *, seed: int, price: float) -> pd.DataFrame:
    """One company's filings: one per quarter plus its restatements."""
    rng = np.random.default_rng([seed, zlib.crc32(symbol.encode()), 0xF1])
    n = len(ends)
    if n == 0:
        return _empty()
    values = _statements(rng, ends, price)
    frame = pd.DataFrame(values)
    frame.insert(0, "symbol", symbol)
    frame.insert(1, "fiscal_period", [f"{e.year}Q{e.quarter}" for e in ends])
    frame.insert(2, "period_end", ends.astype("datetime64[us, UTC]"))
    frame.insert(3, "filing_timestamp", _filing_times(rng, ends))
    return pd.concat([frame, _restatements(rng, frame)], ignore_index=True)


def _filing_times(rng: np.random.Generator, ends: pd.DatetimeIndex) -> pd.Series:
    n = len(ends)
    lag_days = rng.integers(FILING_LAG_DAYS[0], FILING_LAG_DAYS[1] + 1, n)
    minutes = np.where(rng.random(n) < 0.5, *FILING_MINUTES)
    stamps = ends + pd.to_timedelta(lag_days, unit="D") + pd.to_timedelta(minutes, unit="min")
    return pd.Series(stamps).astype("datetime64[us, UTC]")


def _statements(
    rng: np.random.Generator, ends: pd.DatetimeIndex, price: float
) -> dict[str, np.ndarray]:
    """Income statement, balance sheet and cash flow of every quarter (float64 arrays)."""
    n = len(ends)
    # Revenue: trend growth, a random walk and a seasonal pattern by calendar quarter.
    annual_revenue = float(np.exp(rng.uniform(np.log(3e8), np.log(6e10))))
    growth = rng.normal(0.06, 0.05)
    walk = np.cumsum(growth / 4 + rng.normal(0.0, 0.025, n))
    season = rng.normal(0.0, rng.uniform(0.01, 0.08), 4)
    season -= season.mean()
    trend = annual_revenue * np.exp(walk)
    revenue = trend / 4 * np.exp(season[ends.quarter.to_numpy() - 1])

    # Margins: stable levels with noise, and rare operating shocks.
    gross_margin = np.clip(rng.uniform(0.25, 0.7) + rng.normal(0, 0.015, n), 0.05, 0.95)
    operating_level = rng.uniform(0.06, 0.25)
    operating_margin = operating_level + rng.normal(0, 0.02, n)
    operating_margin -= (rng.random(n) < 0.04) * rng.uniform(0.15, 0.4, n)
    operating_margin = np.minimum(operating_margin, gross_margin - 0.02)
    cost_of_revenue = revenue * (1 - gross_margin)
    operating_income = revenue * operating_margin
    ebitda = operating_income + revenue * rng.uniform(0.02, 0.08)

    # Capital structure and the profit below the operating line.
    total_assets = trend * rng.uniform(0.6, 2.0) * np.exp(rng.normal(0, 0.01, n))
    debt = total_assets * rng.uniform(0.05, 0.35)
    short_term_debt = debt * rng.uniform(0.05, 0.3)
    interest_expense = debt * rng.uniform(0.025, 0.06) / 4
    pretax = operating_income - interest_expense
    tax_rate = rng.uniform(0.15, 0.28)
    income_tax = np.maximum(pretax, 0.0) * tax_rate
    net_income = pretax - income_tax

    # Working capital.
    cash = total_assets * rng.uniform(0.03, 0.2) * np.exp(rng.normal(0, 0.1, n))
    receivables = revenue * rng.uniform(25, 70) / 91
    holds_inventory = rng.random() < 0.75
    inventory = cost_of_revenue * rng.uniform(20, 120) / 91 * holds_inventory
    current_assets = cash + receivables + inventory + total_assets * rng.uniform(0.03, 0.12)
    payables = cost_of_revenue * rng.uniform(30, 60) / 91 + total_assets * rng.uniform(0.02, 0.06)
    current_liabilities = short_term_debt + payables
    total_liabilities = current_liabilities + (debt - short_term_debt)
    total_liabilities += total_assets * rng.uniform(0.05, 0.15)

    # Cash flow and payouts.
    depreciation = ebitda - operating_income
    operating_cash_flow = net_income + depreciation + rng.normal(0, 0.03, n) * revenue
    capital_expenditure = revenue * rng.uniform(0.02, 0.1) * np.exp(rng.normal(0, 0.15, n))
    normal_earnings = (trend / 4 * operating_level - interest_expense) * (1 - tax_rate)
    normal_earnings = np.maximum(normal_earnings, trend / 4 * 0.01)
    pays_dividends = rng.random() < 0.6
    dividends_paid = normal_earnings * rng.uniform(0.2, 0.6) * pays_dividends
    buys_back = rng.random() < 0.5
    share_repurchases = normal_earnings * rng.uniform(0.1, 0.5) * buys_back
    share_repurchases *= np.exp(rng.normal(0, 0.3, n))

    # Shares: market cap at the price level is a plausible multiple of normal earnings.
    multiple = rng.uniform(12, 30)
    market_cap = multiple * 4 * float(np.median(normal_earnings))
    drift = np.where(buys_back, rng.normal(-0.006, 0.002, n), rng.normal(0.003, 0.002, n))
    shares_outstanding = market_cap / price * np.exp(np.cumsum(drift))
    eps_diluted = net_income / (shares_outstanding * 1.01)

    raw = {
        "revenue": revenue,
        "cost_of_revenue": cost_of_revenue,
        "gross_profit": revenue - cost_of_revenue,
        "operating_income": operating_income,
        "ebitda": ebitda,
        "interest_expense": interest_expense,
        "income_tax": income_tax,
        "net_income": net_income,
        "eps_diluted": eps_diluted,
        "total_assets": total_assets,
        "current_assets": current_assets,
        "cash_and_equivalents": cash,
        "receivables": receivables,
        "inventory": inventory,
        "total_liabilities": total_liabilities,
        "current_liabilities": current_liabilities,
        "short_term_debt": short_term_debt,
        "long_term_debt": debt - short_term_debt,
        "total_equity": total_assets - total_liabilities,
        "operating_cash_flow": operating_cash_flow,
        "capital_expenditure": capital_expenditure,
        "dividends_paid": dividends_paid,
        "share_repurchases": share_repurchases,
        "shares_outstanding": shares_outstanding,
    }
    rounded = {k: np.round(v, 0) for k, v in raw.items()}
    rounded["eps_diluted"] = np.round(eps_diluted, 4)
    rounded["gross_profit"] = rounded["revenue"] - rounded["cost_of_revenue"]
    rounded["total_equity"] = rounded["total_assets"] - rounded["total_liabilities"]
    return rounded


REVISED_WITH_REVENUE = ("revenue", "cost_of_revenue")
REVISED_WITH_EARNINGS = ("operating_income", "ebitda", "income_tax", "net_income", "eps_diluted")


def _restatements(rng: np.random.Generator, filings: pd.DataFrame) -> pd.DataFrame:
    """Later filings of ~2% of the quarters, with revenue and earnings revised."""
    restated = filings[rng.random(len(filings)) < RESTATEMENT_RATE].copy()
    k = len(restated)
    if not k:
        return restated
    delay = pd.to_timedelta(rng.integers(20, 301, k), unit="D")
    restated["filing_timestamp"] = restated["filing_timestamp"] + delay
    revenue_factor = 1 + rng.normal(0, 0.02, k)
    earnings_factor = 1 + rng.normal(0, 0.05, k)
    for column in REVISED_WITH_REVENUE:
        restated[column] = np.round(restated[column] * revenue_factor, 0)
    restated["gross_profit"] = restated["revenue"] - restated["cost_of_revenue"]
    for column in REVISED_WITH_EARNINGS:
        digits = 4 if column == "eps_diluted" else 0
        restated[column] = np.round(restated[column] * earnings_factor, digits)
    return restated
