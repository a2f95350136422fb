"""Fundamentals point in time: what was known after each filing, as quantities.

Filings are sorted by filing time. After each distinct filing time the knowledge is a
*state*: per fiscal quarter, its latest filing. Every quantity is computed once per state;
a bar takes the state of the last filing time ``<= t``. See :mod:`transforms.fundamentals`
for the quantities and the NaN rules.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

FLOWS: tuple[str, ...] = (
    "revenue", "cost_of_revenue", "gross_profit", "operating_income", "ebitda",
    "interest_expense", "income_tax", "net_income", "eps_diluted", "operating_cash_flow",
    "capital_expenditure", "dividends_paid", "share_repurchases",
)  # fmt: skip
STOCKS: tuple[str, ...] = (
    "total_assets", "current_assets", "cash_and_equivalents", "receivables", "inventory",
    "total_liabilities", "current_liabilities", "short_term_debt", "long_term_debt",
    "total_equity", "shares_outstanding",
)  # fmt: skip
LAGS = 8
DAY_NS = 86_400 * 10**9
QUARTER_GAP_DAYS = (80.0, 100.0)
TTM_SPAN_DAYS = (250.0, 300.0)
YEAR_GAP_DAYS = (350.0, 380.0)

Array = np.ndarray
Quantities = dict[str, Array]


# ---------------------------------------------------------------- arithmetic with NaN rules


def divide(num: Array, den: Array, *, positive: bool = True) -> Array:
    """``num / den``; NaN where ``den <= 0`` (``positive``) or ``den == 0``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.asarray(num / den, dtype=np.float64)
    out[~(den > 0) if positive else ~(den != 0)] = np.nan
    return out


def growth(now: Array, base: Array) -> Array:
    """``now / base - 1``; NaN where ``base <= 0``."""
    return divide(now, base) - 1.0


def sum_present(*parts: Array) -> Array:
    """Sum counting a missing part as 0; NaN where every part is missing."""
    stacked = np.vstack(parts)
    out = np.nansum(stacked, axis=0)
    out[np.isnan(stacked).all(axis=0)] = np.nan
    return out


def within(days: Array, bounds: tuple[float, float]) -> Array:
    return (days >= bounds[0]) & (days <= bounds[1])


# ---------------------------------------------------------------- filing states


@dataclass(frozen=True)
class States:
    """What was known after each distinct filing time; arrays have one extra NaN row last,
    the state "before any filing" (index -1)."""

    times: Array
    """int64 ns UTC: the filing time of each state, ascending (no pad)."""
    quantities: Quantities


def as_ns(values: pd.Series | pd.Index) -> Array:
    """Timestamps as int64 ns since the epoch, UTC (naive values are UTC)."""
    index = pd.DatetimeIndex(values)
    if index.tz is not None:
        index = index.tz_convert("UTC").tz_localize(None)
    return index.as_unit("ns").asi8


def _column(filings: pd.DataFrame, name: str) -> Array:
    if name not in filings:
        return np.full(len(filings), np.nan)
    return filings[name].to_numpy(dtype=np.float64, na_value=np.nan)


def filing_states(filings: pd.DataFrame) -> States:
    """Per distinct filing time, the quantities implied by the filings known at that time."""
    filings = filings.dropna(subset=["fiscal_period", "period_end", "filing_timestamp"])
    order = ["filing_timestamp", "created_timestamp"] if "created_timestamp" in filings else []
    filings = filings.sort_values(order or ["filing_timestamp"], kind="stable")
    n = len(filings)
    times = as_ns(filings["filing_timestamp"])

    # Quarters ranked by the period end of their first filing: known whenever the quarter is.
    firsts = filings.drop_duplicates("fiscal_period")
    ranked = firsts.sort_values(["period_end", "fiscal_period"], kind="stable")["fiscal_period"]
    rank = pd.Series(np.arange(len(ranked)), index=ranked.to_numpy())
    quarter = rank.reindex(filings["fiscal_period"].to_numpy()).to_numpy()

    # latest[k, p]: the latest filing of quarter p among filings 0..k (-1: none yet).
    latest = np.full((n, len(ranked)), -1, dtype=np.int64)
    latest[np.arange(n), quarter] = np.arange(n)
    latest = np.maximum.accumulate(latest, axis=0)
    copies = np.zeros_like(latest)
    copies[np.arange(n), quarter] = 1
    copies = np.cumsum(copies, axis=0)
    last_at_time = np.append(times[1:] != times[:-1], True) if n else np.zeros(0, dtype=bool)
    latest, copies = latest[last_at_time], copies[last_at_time]

    lagged = _lag_filings(latest)
    quantities = _quantities(filings, lagged)
    quantities["filing_day"] = times[last_at_time] / DAY_NS
    quantities["filings_known"] = (np.arange(n) + 1.0)[last_at_time]
    quantities["quarters_known"] = (latest >= 0).sum(axis=1).astype(np.float64)
    quantities["restated_quarters"] = (copies >= 2).sum(axis=1).astype(np.float64)
    padded = {k: np.append(v, np.nan) for k, v in quantities.items()}
    return States(times=times[last_at_time], quantities=padded)


def _lag_filings(latest: Array) -> Array:
    """``(states, LAGS)``: the filing of the j-th latest known quarter (-1: none)."""
    known = latest >= 0
    from_latest = known.sum(axis=1, keepdims=True) - np.cumsum(known, axis=1)
    rows = np.arange(len(latest))
    lagged = np.full((len(latest), LAGS), -1, dtype=np.int64)
    for j in range(LAGS):
        hit = known & (from_latest == j)
        found = hit.any(axis=1)
        if found.any():
            lagged[found, j] = latest[rows[found], hit[found].argmax(axis=1)]
    return lagged


def _quantities(filings: pd.DataFrame, lagged: Array) -> Quantities:
    """TTM, latest, previous and year-ago values of every field, per state."""
    fields = (*FLOWS, *STOCKS)
    values = np.column_stack([_column(filings, f) for f in fields] + [_period_end_days(filings)])
    values = np.vstack([values, np.full(values.shape[1], np.nan)])  # row -1: no filing
    at_lag = values[lagged]  # (states, LAGS, fields + 1)
    period_end = at_lag[:, :, -1]
    prev_ok = within(period_end[:, 0] - period_end[:, 1], QUARTER_GAP_DAYS)
    ttm_ok = within(period_end[:, 0] - period_end[:, 3], TTM_SPAN_DAYS)
    ttm_ago_ok = within(period_end[:, 0] - period_end[:, 4], YEAR_GAP_DAYS) & within(
        period_end[:, 4] - period_end[:, 7], TTM_SPAN_DAYS
    )
    ago = _year_ago_lag(period_end)
    states = np.arange(len(at_lag))
    q: Quantities = {"period_end_day": period_end[:, 0]}
    for i, name in enumerate(fields):
        column = at_lag[:, :, i]
        q[name] = column[:, 0]
        q[f"{name}_ago"] = np.where(ago >= 0, column[states, ago], np.nan)
        if name in FLOWS:
            q[f"{name}_prev"] = np.where(prev_ok, column[:, 1], np.nan)
            q[f"{name}_ttm"] = np.where(ttm_ok, column[:, 0:4].sum(axis=1), np.nan)
            q[f"{name}_ttm_ago"] = np.where(ttm_ago_ok, column[:, 4:8].sum(axis=1), np.nan)
    _derive(q)
    return q


def _year_ago_lag(period_end: Array) -> Array:
    """Per state, the lag of the quarter ending 350–380 days before lag 0 (-1: none known).

    Usually lag 4; lag 3 when a quarter in between was never filed.
    """
    ago = np.full(len(period_end), -1, dtype=np.int64)
    for j in range(LAGS - 1, 0, -1):
        ago[within(period_end[:, 0] - period_end[:, j], YEAR_GAP_DAYS)] = j
    return ago


def _period_end_days(filings: pd.DataFrame) -> Array:
    return as_ns(filings["period_end"]) / DAY_NS


def _derive(q: Quantities) -> None:
    """Quantities combining fields (see the module docstring)."""
    for suffix in ("", "_ago"):
        q[f"debt{suffix}"] = sum_present(
            q[f"short_term_debt{suffix}"], q[f"long_term_debt{suffix}"]
        )
    for suffix in ("_ttm", "_ttm_ago"):
        q[f"fcf{suffix}"] = q[f"operating_cash_flow{suffix}"] - q[f"capital_expenditure{suffix}"]
        q[f"gross_margin{suffix}"] = divide(q[f"gross_profit{suffix}"], q[f"revenue{suffix}"])
    q["net_debt"] = q["debt"] - q["cash_and_equivalents"]
    q["payout_ttm"] = sum_present(q["dividends_paid_ttm"], q["share_repurchases_ttm"])
    q["pretax_ttm"] = q["net_income_ttm"] + q["income_tax_ttm"]
    q["accruals_ttm"] = q["net_income_ttm"] - q["operating_cash_flow_ttm"]
    pretax = q["pretax_ttm"]
    rate = np.clip(divide(q["income_tax_ttm"], pretax), 0.0, 1.0)
    q["tax_rate_ttm"] = rate
    no_tax = np.where(np.isnan(pretax) | np.isnan(q["income_tax_ttm"]), np.nan, 0.0)
    q["nopat_ttm"] = q["operating_income_ttm"] * (1.0 - np.where(pretax > 0, rate, no_tax))
    q["invested_capital"] = q["total_equity"] + q["debt"] - q["cash_and_equivalents"]
    q["capital_employed"] = q["total_assets"] - q["current_liabilities"]
    q["total_capital"] = q["debt"] + q["total_equity"]
    q["working_capital"] = q["current_assets"] - q["current_liabilities"]
    q["quick_assets"] = sum_present(q["current_assets"], -q["inventory"])
    q["quick_assets"][np.isnan(q["current_assets"])] = np.nan
    q["eps_growth_ttm"] = growth(q["eps_diluted_ttm"], q["eps_diluted_ttm_ago"])
    q["dso"] = 365.0 * divide(q["receivables"], q["revenue_ttm"])
    q["dio"] = 365.0 * divide(q["inventory"], q["cost_of_revenue_ttm"])


def per_bar_quantities(q: Quantities, close: Array, bar_day: Array) -> Quantities:
    """Quantities that need the bar: its close and its time."""
    market_cap = close * q["shares_outstanding"]
    return {
        "close": close,
        "bar_day": bar_day,
        "market_cap": market_cap,
        "enterprise_value": market_cap + q["debt"] - q["cash_and_equivalents"],
    }
