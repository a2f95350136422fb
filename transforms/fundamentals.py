"""The fundamentals family: ratios from quarterly filings, point in time, on every bar.

**Point in time.** The value at bar time ``t`` uses only filings with ``filing_timestamp <=
t``. Of each fiscal quarter, the latest filing public at ``t`` counts, so a restatement
replaces the earlier numbers from its own filing time on and never before.

**How.** Filings are sorted by filing time. After each distinct filing time the knowledge is
a *state*: per fiscal quarter, its latest filing. Every quantity and every price-free ratio
is computed once per state (a few dozen states), each bar takes the state of the last
filing time ``<= t`` (an as-of join, backward, by binary search), and price-dependent ratios
are then computed per bar from the bar's close.

**Quantities** (in a state; quarters ordered by period end, lag 0 = the latest known):

- TTM flow: sum of lags 0–3 (income statement and cash flow), defined only when these are
  four consecutive quarters (lag 0 and lag 3 period ends 250–300 days apart).
- Latest quarter: lag 0. Previous quarter: lag 1, if its period end is 80–100 days before.
  Year-ago quarter: the known quarter ending 350–380 days before lag 0 (lag 4, or lag 3
  when a quarter in between is missing). TTM a year ago: lags 4–7, all consecutive.
- Balance sheet and shares: lag 0 (the latest quarter known), year ago: lag 4.
- ``debt`` = short-term + long-term debt; ``payout`` = dividends + buybacks; quick assets =
  current assets − inventory. In these sums a missing part counts as 0 (companies leave out
  lines they do not have); the sum is NaN only when every part is missing.
- Per bar: market cap = close × shares outstanding; EV = market cap + debt − cash.

**NaN rules.** A ratio is NaN when an input is missing, and also when its denominator is
``<= 0`` wherever a negative denominator makes the number meaningless: P/E, EV/EBITDA,
EV/EBIT, P/S, P/CF with negative earnings, EBITDA, sales or cash flow; P/B, ROE, D/E with
negative equity; margins with revenue ``<= 0``; coverage with interest ``<= 0``; turnovers
and days with a zero stock or flow. Yields keep their sign (negative earnings give a
negative earnings yield: that is information, not noise). Growth is ``now / base − 1``,
NaN when the base is ``<= 0`` (growth out of a loss has no meaning). PEG is NaN unless both
P/E and TTM EPS growth are positive.

**Warm-up.** Every feature has ``warmup = 0``: how long values stay NaN depends on filing
dates, not on a number of bars. TTM ratios need four consecutive quarters public,
year-on-year ones five, TTM growth eight; the meta features are defined from the first bar.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

import numpy as np
import pandas as pd

from transforms.family import SymbolInputs
from transforms.specs import FeatureSpec, ViewSpec

TRANSFORM = "fundamentals"
VERSION = "fundamentals-1"
VIEW_TTL = timedelta(days=120)
"""Quarterly data: a row stays valid for a quarter plus a late filing."""

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


def _divide(num: Array, den: Array, *, positive: bool = True) -> Array:
    """``num / den``; NaN where ``den <= 0`` (``positive``) or ``den == 0``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.asarray(num / den, dtype=np.float64)
    out[~(den > 0) if positive else ~(den != 0)] = np.nan
    return out


def _growth(now: Array, base: Array) -> Array:
    """``now / base - 1``; NaN where ``base <= 0``."""
    return _divide(now, base) - 1.0


def _sum_present(*parts: Array) -> Array:
    """Sum counting a missing part as 0; NaN where every part is missing."""
    stacked = np.vstack(parts)
    out = np.nansum(stacked, axis=0)
    out[np.isnan(stacked).all(axis=0)] = np.nan
    return out


def _within(days: Array, bounds: tuple[float, float]) -> Array:
    return (days >= bounds[0]) & (days <= bounds[1])


# ---------------------------------------------------------------- filing states


@dataclass(frozen=True)
class States:
    """What was known after each distinct filing time; arrays have one extra NaN row last,
    the state "before any filing" (index -1)."""

    times: Array
    """int64 ns UTC: the filing time of each state, ascending (no pad)."""
    quantities: Quantities


def _ns(values: pd.Series | pd.Index) -> Array:
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
    times = _ns(filings["filing_timestamp"])

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
    prev_ok = _within(period_end[:, 0] - period_end[:, 1], QUARTER_GAP_DAYS)
    ttm_ok = _within(period_end[:, 0] - period_end[:, 3], TTM_SPAN_DAYS)
    ttm_ago_ok = _within(period_end[:, 0] - period_end[:, 4], YEAR_GAP_DAYS) & _within(
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
        ago[_within(period_end[:, 0] - period_end[:, j], YEAR_GAP_DAYS)] = j
    return ago


def _period_end_days(filings: pd.DataFrame) -> Array:
    return _ns(filings["period_end"]) / DAY_NS


def _derive(q: Quantities) -> None:
    """Quantities combining fields (see the module docstring)."""
    for suffix in ("", "_ago"):
        q[f"debt{suffix}"] = _sum_present(
            q[f"short_term_debt{suffix}"], q[f"long_term_debt{suffix}"]
        )
    for suffix in ("_ttm", "_ttm_ago"):
        q[f"fcf{suffix}"] = q[f"operating_cash_flow{suffix}"] - q[f"capital_expenditure{suffix}"]
        q[f"gross_margin{suffix}"] = _divide(q[f"gross_profit{suffix}"], q[f"revenue{suffix}"])
    q["net_debt"] = q["debt"] - q["cash_and_equivalents"]
    q["payout_ttm"] = _sum_present(q["dividends_paid_ttm"], q["share_repurchases_ttm"])
    q["pretax_ttm"] = q["net_income_ttm"] + q["income_tax_ttm"]
    q["accruals_ttm"] = q["net_income_ttm"] - q["operating_cash_flow_ttm"]
    pretax = q["pretax_ttm"]
    rate = np.clip(_divide(q["income_tax_ttm"], pretax), 0.0, 1.0)
    q["tax_rate_ttm"] = rate
    no_tax = np.where(np.isnan(pretax) | np.isnan(q["income_tax_ttm"]), np.nan, 0.0)
    q["nopat_ttm"] = q["operating_income_ttm"] * (1.0 - np.where(pretax > 0, rate, no_tax))
    q["invested_capital"] = q["total_equity"] + q["debt"] - q["cash_and_equivalents"]
    q["capital_employed"] = q["total_assets"] - q["current_liabilities"]
    q["total_capital"] = q["debt"] + q["total_equity"]
    q["working_capital"] = q["current_assets"] - q["current_liabilities"]
    q["quick_assets"] = _sum_present(q["current_assets"], -q["inventory"])
    q["quick_assets"][np.isnan(q["current_assets"])] = np.nan
    q["eps_growth_ttm"] = _growth(q["eps_diluted_ttm"], q["eps_diluted_ttm_ago"])
    q["dso"] = 365.0 * _divide(q["receivables"], q["revenue_ttm"])
    q["dio"] = 365.0 * _divide(q["inventory"], q["cost_of_revenue_ttm"])


def _per_bar(q: Quantities, close: Array, bar_day: Array) -> Quantities:
    """Quantities that need the bar: its close and its time."""
    market_cap = close * q["shares_outstanding"]
    return {
        "close": close,
        "bar_day": bar_day,
        "market_cap": market_cap,
        "enterprise_value": market_cap + q["debt"] - q["cash_and_equivalents"],
    }


# ---------------------------------------------------------------- the features

BAR_QUANTITIES = frozenset({"close", "bar_day", "market_cap", "enterprise_value"})

OPERAND_FIELDS: dict[str, tuple[str, ...]] = {
    "close": ("close",),
    "bar_day": (),
    "market_cap": ("close", "shares_outstanding"),
    "enterprise_value": (
        "close", "shares_outstanding", "short_term_debt", "long_term_debt",
        "cash_and_equivalents",
    ),
    "debt": ("short_term_debt", "long_term_debt"),
    "net_debt": ("short_term_debt", "long_term_debt", "cash_and_equivalents"),
    "fcf": ("operating_cash_flow", "capital_expenditure"),
    "gross_margin": ("gross_profit", "revenue"),
    "payout": ("dividends_paid", "share_repurchases"),
    "pretax": ("net_income", "income_tax"),
    "accruals": ("net_income", "operating_cash_flow"),
    "tax_rate": ("income_tax", "net_income"),
    "nopat": ("operating_income", "income_tax", "net_income"),
    "invested_capital": (
        "total_equity", "short_term_debt", "long_term_debt", "cash_and_equivalents",
    ),
    "capital_employed": ("total_assets", "current_liabilities"),
    "total_capital": ("short_term_debt", "long_term_debt", "total_equity"),
    "working_capital": ("current_assets", "current_liabilities"),
    "quick_assets": ("current_assets", "inventory"),
    "eps_growth": ("eps_diluted",),
    "dso": ("receivables", "revenue"),
    "dio": ("inventory", "cost_of_revenue"),
    "filing_day": ("filing_timestamp",),
    "period_end_day": ("period_end", "filing_timestamp"),
    "filings_known": ("filing_timestamp",),
    "quarters_known": ("fiscal_period", "filing_timestamp"),
    "restated_quarters": ("fiscal_period", "filing_timestamp"),
}  # fmt: skip
"""Contract fields behind each quantity that is not a field itself."""

_SUFFIXES = ("_ttm_ago", "_ttm", "_prev", "_ago")


def _base(operand: str) -> tuple[str, str]:
    """``"revenue_ttm_ago"`` → ``("revenue", "_ttm_ago")``."""
    for suffix in _SUFFIXES:
        if operand.endswith(suffix):
            return operand[: -len(suffix)], suffix
    return operand, ""


@dataclass(frozen=True)
class Formula:
    """One feature: a function of named quantities."""

    name: str
    view: str
    text: str
    operands: tuple[str, ...]
    fn: Callable[..., Array]
    description: str
    meta: bool = False

    @property
    def per_bar(self) -> bool:
        return any(o in BAR_QUANTITIES for o in self.operands)

    def evaluate(self, q: Quantities) -> Array:
        return self.fn(*(q[o] for o in self.operands))

    def spec(self) -> FeatureSpec:
        inputs: dict[str, None] = {}
        lags: set[str] = set()
        for operand in self.operands:
            base, suffix = _base(operand)
            for name in OPERAND_FIELDS.get(base, (base,)):
                inputs[name] = None
            lags.add("_ttm_ago" if base == "eps_growth" else suffix)
        parameters: dict[str, int | float] = {}
        if not self.meta:
            parameters["quarters"] = 4 if lags & {"_ttm", "_ttm_ago"} else 1
            if "_ago" in lags or "_ttm_ago" in lags:
                parameters["lag_quarters"] = 4
            elif "_prev" in lags:
                parameters["lag_quarters"] = 1
        return FeatureSpec(
            name=self.name,
            view=self.view,
            function=self.text,
            inputs=tuple(inputs),
            parameters=parameters,
            output=self.name,
            dtype="float64",
            version=VERSION,
            description=self.description,
            warmup=0,
            transform=TRANSFORM,
        )


def _ratio(name: str, view: str, num: str, den: str, what: str, *, scale: float = 1.0) -> Formula:
    """``scale * num / den``, NaN where ``den <= 0``."""
    text = f"{num} / {den}" if scale == 1.0 else f"{scale:g} * {num} / {den}"
    return Formula(
        name,
        view,
        text,
        (num, den),
        lambda n, d: scale * _divide(n, d),
        f"{what} ({text}; NaN when {den} <= 0)",
    )


def _rate(name: str, view: str, now: str, base: str, what: str) -> Formula:
    """``now / base - 1``, NaN where ``base <= 0``."""
    text = f"{now} / {base} - 1"
    return Formula(name, view, text, (now, base), _growth, f"{what} ({text}; NaN when {base} <= 0)")


def _custom(
    name: str,
    view: str,
    text: str,
    operands: tuple[str, ...],
    fn: Callable[..., Array],
    what: str,
    *,
    meta: bool = False,
) -> Formula:
    return Formula(name, view, text, operands, fn, f"{what} ({text})", meta)


def _identity(x: Array) -> Array:
    return np.asarray(x, dtype=np.float64).copy()


def _peg(close: Array, eps_ttm: Array, growth: Array) -> Array:
    pe = _divide(close, eps_ttm)
    return _divide(pe, 100.0 * growth)


def _runway(cash: Array, fcf_ttm: Array) -> Array:
    burn = -fcf_ttm / 4.0
    return _divide(cash, burn)


def _valuation() -> list[Formula]:
    v = "fundamentals_valuation"
    return [
        _ratio("f_pe", v, "close", "eps_diluted_ttm", "price to TTM diluted EPS"),
        _ratio("f_earnings_yield", v, "eps_diluted_ttm", "close", "TTM diluted EPS to price"),
        _ratio("f_pb", v, "market_cap", "total_equity", "price to book"),
        _ratio("f_book_to_market", v, "total_equity", "market_cap", "book to market"),
        _ratio("f_ps", v, "market_cap", "revenue_ttm", "price to TTM sales"),
        _ratio("f_pcf", v, "market_cap", "operating_cash_flow_ttm", "price to TTM cash flow"),
        _ratio("f_pfcf", v, "market_cap", "fcf_ttm", "price to TTM free cash flow"),
        _ratio("f_ev_ebitda", v, "enterprise_value", "ebitda_ttm", "EV to TTM EBITDA"),
        _ratio("f_ev_ebit", v, "enterprise_value", "operating_income_ttm", "EV to TTM EBIT"),
        _ratio("f_ev_sales", v, "enterprise_value", "revenue_ttm", "EV to TTM sales"),
        _ratio("f_ev_fcf", v, "enterprise_value", "fcf_ttm", "EV to TTM free cash flow"),
        _ratio("f_ebit_yield", v, "operating_income_ttm", "enterprise_value", "EBIT to EV"),
        _ratio("f_fcf_yield", v, "fcf_ttm", "market_cap", "TTM free cash flow yield"),
        _ratio("f_ocf_yield", v, "operating_cash_flow_ttm", "market_cap", "TTM cash flow yield"),
        _ratio("f_dividend_yield", v, "dividends_paid_ttm", "market_cap", "TTM dividend yield"),
        _ratio("f_buyback_yield", v, "share_repurchases_ttm", "market_cap", "TTM buyback yield"),
        _ratio(
            "f_shareholder_yield", v, "payout_ttm", "market_cap", "TTM dividends + buybacks yield"
        ),
        _custom(
            "f_peg",
            v,
            "(close / eps_diluted_ttm) / (100 * eps_growth_ttm)",
            ("close", "eps_diluted_ttm", "eps_growth_ttm"),
            _peg,
            "P/E over TTM EPS growth in percent; NaN unless both are positive",
        ),
        _custom(
            "f_market_cap", v, "close * shares_outstanding", ("market_cap",), _identity,
            "market capitalisation",
        ),
        _custom(
            "f_enterprise_value",
            v,
            "market_cap + debt - cash_and_equivalents",
            ("enterprise_value",),
            _identity,
            "enterprise value",
        ),
        _ratio("f_net_debt_to_market_cap", v, "net_debt", "market_cap", "net debt to market cap"),
        _ratio(
            "f_cash_to_market_cap", v, "cash_and_equivalents", "market_cap", "cash to market cap"
        ),
    ]  # fmt: skip


def _profitability() -> list[Formula]:
    v = "fundamentals_profitability"
    return [
        _ratio("f_gross_margin", v, "gross_profit_ttm", "revenue_ttm", "TTM gross margin"),
        _ratio("f_operating_margin", v, "operating_income_ttm", "revenue_ttm", "TTM EBIT margin"),
        _ratio("f_ebitda_margin", v, "ebitda_ttm", "revenue_ttm", "TTM EBITDA margin"),
        _ratio("f_pretax_margin", v, "pretax_ttm", "revenue_ttm", "TTM pre-tax margin"),
        _ratio("f_net_margin", v, "net_income_ttm", "revenue_ttm", "TTM net margin"),
        _ratio("f_ocf_margin", v, "operating_cash_flow_ttm", "revenue_ttm", "TTM cash margin"),
        _ratio("f_fcf_margin", v, "fcf_ttm", "revenue_ttm", "TTM free cash flow margin"),
        _ratio("f_gross_margin_q", v, "gross_profit", "revenue", "latest quarter gross margin"),
        _ratio(
            "f_operating_margin_q", v, "operating_income", "revenue", "latest quarter EBIT margin"
        ),
        _ratio("f_net_margin_q", v, "net_income", "revenue", "latest quarter net margin"),
        _ratio("f_roe", v, "net_income_ttm", "total_equity", "return on equity"),
        _ratio("f_roa", v, "net_income_ttm", "total_assets", "return on assets"),
        _ratio(
            "f_roic", v, "nopat_ttm", "invested_capital",
            "return on invested capital, NOPAT at the TTM effective tax rate (0 on a pre-tax loss)",
        ),
        _ratio(
            "f_roce", v, "operating_income_ttm", "capital_employed", "return on capital employed"
        ),
        _ratio(
            "f_gross_profitability", v, "gross_profit_ttm", "total_assets",
            "gross profit to assets",
        ),
        _custom(
            "f_effective_tax_rate", v, "clip(income_tax_ttm / pretax_ttm, 0, 1)", ("tax_rate_ttm",),
            _identity, "TTM effective tax rate; NaN when pre-tax income <= 0",
        ),
        _ratio(
            "f_cash_conversion", v, "operating_cash_flow_ttm", "net_income_ttm",
            "operating cash flow to earnings",
        ),
        _ratio("f_accruals_ratio", v, "accruals_ttm", "total_assets", "TTM accruals to assets"),
    ]  # fmt: skip


def _liquidity() -> list[Formula]:
    v = "fundamentals_liquidity"
    return [
        _ratio("f_current_ratio", v, "current_assets", "current_liabilities", "current ratio"),
        _ratio("f_quick_ratio", v, "quick_assets", "current_liabilities", "quick ratio"),
        _ratio("f_cash_ratio", v, "cash_and_equivalents", "current_liabilities", "cash ratio"),
        _ratio(
            "f_working_capital_to_assets", v, "working_capital", "total_assets",
            "working capital to assets",
        ),
        _ratio(
            "f_working_capital_to_revenue", v, "working_capital", "revenue_ttm",
            "working capital to TTM sales",
        ),
        _ratio("f_cash_to_assets", v, "cash_and_equivalents", "total_assets", "cash to assets"),
        _ratio(
            "f_ocf_to_current_liabilities", v, "operating_cash_flow_ttm", "current_liabilities",
            "TTM cash flow to current liabilities",
        ),
        _custom(
            "f_cash_runway_quarters", v, "cash_and_equivalents / (-fcf_ttm / 4)",
            ("cash_and_equivalents", "fcf_ttm"), _runway,
            "quarters of cash at the TTM free-cash-flow burn; NaN when free cash flow >= 0",
        ),
    ]  # fmt: skip


def _leverage() -> list[Formula]:
    v = "fundamentals_leverage"
    return [
        _ratio("f_debt_to_equity", v, "debt", "total_equity", "debt to equity"),
        _ratio("f_net_debt_to_equity", v, "net_debt", "total_equity", "net debt to equity"),
        _ratio("f_debt_to_assets", v, "debt", "total_assets", "debt to assets"),
        _ratio(
            "f_liabilities_to_assets", v, "total_liabilities", "total_assets",
            "liabilities to assets",
        ),
        _ratio(
            "f_liabilities_to_equity", v, "total_liabilities", "total_equity",
            "liabilities to equity",
        ),
        _ratio("f_equity_multiplier", v, "total_assets", "total_equity", "equity multiplier"),
        _ratio("f_equity_ratio", v, "total_equity", "total_assets", "equity to assets"),
        _ratio("f_debt_to_capital", v, "debt", "total_capital", "debt to debt + equity"),
        _ratio(
            "f_long_term_debt_to_capital", v, "long_term_debt", "total_capital",
            "long-term debt to debt + equity",
        ),
        _ratio("f_short_term_debt_share", v, "short_term_debt", "debt", "short-term share of debt"),
        _ratio("f_debt_to_ebitda", v, "debt", "ebitda_ttm", "debt to TTM EBITDA"),
        _ratio("f_net_debt_to_ebitda", v, "net_debt", "ebitda_ttm", "net debt to TTM EBITDA"),
        _ratio(
            "f_interest_coverage", v, "operating_income_ttm", "interest_expense_ttm",
            "TTM EBIT interest coverage",
        ),
        _ratio(
            "f_ebitda_interest_coverage", v, "ebitda_ttm", "interest_expense_ttm",
            "TTM EBITDA interest coverage",
        ),
        _ratio("f_ocf_to_debt", v, "operating_cash_flow_ttm", "debt", "TTM cash flow to debt"),
    ]  # fmt: skip


def _efficiency() -> list[Formula]:
    v = "fundamentals_efficiency"
    return [
        _ratio("f_asset_turnover", v, "revenue_ttm", "total_assets", "asset turnover"),
        _ratio("f_equity_turnover", v, "revenue_ttm", "total_equity", "equity turnover"),
        _ratio(
            "f_working_capital_turnover", v, "revenue_ttm", "working_capital",
            "working capital turnover",
        ),
        _ratio("f_inventory_turnover", v, "cost_of_revenue_ttm", "inventory", "inventory turnover"),
        _ratio("f_receivables_turnover", v, "revenue_ttm", "receivables", "receivables turnover"),
        _ratio(
            "f_dso", v, "receivables", "revenue_ttm", "days sales outstanding", scale=365.0
        ),
        _ratio(
            "f_dio", v, "inventory", "cost_of_revenue_ttm", "days inventory outstanding",
            scale=365.0,
        ),
        _custom(
            "f_operating_cycle", v, "dso + dio", ("dso", "dio"), np.add,
            "days sales outstanding + days inventory outstanding",
        ),
        _ratio("f_capex_to_revenue", v, "capital_expenditure_ttm", "revenue_ttm", "capex to sales"),
        _ratio(
            "f_capex_to_ocf", v, "capital_expenditure_ttm", "operating_cash_flow_ttm",
            "capex to operating cash flow",
        ),
    ]  # fmt: skip


GROWTH_KINDS: dict[str, tuple[str, str, str]] = {
    "yoy": ("", "_ago", "latest quarter on the same quarter a year earlier"),
    "qoq": ("", "_prev", "latest quarter on the previous quarter"),
    "ttm": ("_ttm", "_ttm_ago", "TTM on the TTM a year earlier"),
    "stock_yoy": ("", "_ago", "latest balance sheet on the one a year earlier"),
}
"""Growth kind → (suffix of now, suffix of base, description)."""

GROWTH: tuple[tuple[str, str, str, str], ...] = (
    ("f_revenue_growth_yoy", "revenue", "yoy", "revenue growth"),
    ("f_revenue_growth_qoq", "revenue", "qoq", "revenue growth"),
    ("f_revenue_growth_ttm", "revenue", "ttm", "revenue growth"),
    ("f_gross_profit_growth_ttm", "gross_profit", "ttm", "gross profit growth"),
    ("f_operating_income_growth_yoy", "operating_income", "yoy", "EBIT growth"),
    ("f_operating_income_growth_ttm", "operating_income", "ttm", "EBIT growth"),
    ("f_ebitda_growth_ttm", "ebitda", "ttm", "EBITDA growth"),
    ("f_net_income_growth_yoy", "net_income", "yoy", "earnings growth"),
    ("f_net_income_growth_qoq", "net_income", "qoq", "earnings growth"),
    ("f_net_income_growth_ttm", "net_income", "ttm", "earnings growth"),
    ("f_eps_growth_yoy", "eps_diluted", "yoy", "diluted EPS growth"),
    ("f_eps_growth_qoq", "eps_diluted", "qoq", "diluted EPS growth"),
    ("f_eps_growth_ttm", "eps_diluted", "ttm", "diluted EPS growth"),
    ("f_ocf_growth_ttm", "operating_cash_flow", "ttm", "operating cash flow growth"),
    ("f_fcf_growth_ttm", "fcf", "ttm", "free cash flow growth"),
    ("f_dividend_growth_ttm", "dividends_paid", "ttm", "dividend growth"),
    ("f_asset_growth_yoy", "total_assets", "stock_yoy", "asset growth"),
    ("f_equity_growth_yoy", "total_equity", "stock_yoy", "book value growth"),
    ("f_shares_change_yoy", "shares_outstanding", "stock_yoy", "share count change"),
)


def _growth_features() -> list[Formula]:
    v = "fundamentals_growth"
    features = []
    for name, field, kind, what in GROWTH:
        now, base, how = GROWTH_KINDS[kind]
        features.append(_rate(name, v, field + now, field + base, f"{what}, {how}"))
    features.append(
        _custom(
            "f_gross_margin_change_ttm", v, "gross_margin_ttm - gross_margin_ttm_ago",
            ("gross_margin_ttm", "gross_margin_ttm_ago"), np.subtract,
            "change in TTM gross margin over a year",
        )
    )  # fmt: skip
    return features


def _days_since(now: Array, then: Array) -> Array:
    return now - then


def _count(known: Array) -> Array:
    return np.nan_to_num(known, nan=0.0)


def _meta() -> list[Formula]:
    v = "fundamentals_meta"
    return [
        _custom(
            "f_days_since_filing", v, "bar_time - last filing_timestamp", ("bar_day", "filing_day"),
            _days_since, "days since the latest filing public at the bar (NaN before any)",
            meta=True,
        ),
        _custom(
            "f_days_since_period_end", v, "bar_time - period_end of the latest quarter",
            ("bar_day", "period_end_day"), _days_since,
            "days since the end of the latest quarter known (staleness)", meta=True,
        ),
        _custom(
            "f_filings_known", v, "count(filing_timestamp <= bar_time)", ("filings_known",),
            _count, "filings public at the bar, restatements included (0 before any)", meta=True,
        ),
        _custom(
            "f_quarters_known", v, "count(distinct fiscal_period)", ("quarters_known",), _count,
            "fiscal quarters with a filing public at the bar", meta=True,
        ),
        _custom(
            "f_restated_quarters_known", v, "count(fiscal_period with > 1 filing)",
            ("restated_quarters",), _count,
            "fiscal quarters restated by a filing public at the bar", meta=True,
        ),
    ]  # fmt: skip


VIEW_DESCRIPTIONS: dict[str, str] = {
    "fundamentals_valuation": "Price multiples and yields: the bar's close against filings",
    "fundamentals_profitability": "Margins and returns on capital from TTM filings",
    "fundamentals_liquidity": "Short-term solvency from the latest balance sheet",
    "fundamentals_leverage": "Debt, capital structure and coverage",
    "fundamentals_efficiency": "Turnover and working-capital days",
    "fundamentals_growth": "Quarter, year-on-year and TTM growth",
    "fundamentals_meta": "Filing freshness and counts",
}


@cache
def formulas() -> dict[str, Formula]:
    """Every fundamentals feature by name, views in order."""
    every = [
        *_valuation(),
        *_profitability(),
        *_liquidity(),
        *_leverage(),
        *_efficiency(),
        *_growth_features(),
        *_meta(),
    ]
    return {f.name: f for f in every}


@cache
def fundamentals_views() -> tuple[ViewSpec, ...]:
    """One view per group of ratios, TTL one quarter plus a late filing."""
    specs: dict[str, list[FeatureSpec]] = {view: [] for view in VIEW_DESCRIPTIONS}
    for formula in formulas().values():
        specs[formula.view].append(formula.spec())
    return tuple(
        ViewSpec(
            name=view,
            description=f"{VIEW_DESCRIPTIONS[view]}: {len(features)} features",
            features=tuple(features),
            ttl=VIEW_TTL,
        )
        for view, features in specs.items()
    )


# ---------------------------------------------------------------- computing


def compute_fundamentals(
    names: Sequence[str], bars: pd.DataFrame, filings: pd.DataFrame | None
) -> pd.DataFrame:
    """The named features on every bar, from the filings public at each bar's time."""
    table = formulas()
    unknown = [n for n in names if n not in table]
    if unknown:
        raise ValueError(f"not fundamentals features: {unknown}")
    n = len(bars)
    matrix = np.full((n, len(names)), np.nan)
    bar_ns = _ns(bars["event_timestamp"])
    states = filing_states(filings if filings is not None else _no_filings())
    row = np.searchsorted(states.times, bar_ns, side="right") - 1  # -1: the NaN pad row
    state_q = states.quantities
    at_bar: Quantities | None = None
    for j, name in enumerate(names):
        formula = table[name]
        if formula.per_bar:
            if at_bar is None:
                at_bar = _BarQuantities(state_q, row)
                close = bars["close"].to_numpy(dtype=np.float64, na_value=np.nan)
                at_bar.update(_per_bar(at_bar, close, bar_ns / DAY_NS))
            matrix[:, j] = formula.evaluate(at_bar)
        else:
            matrix[:, j] = formula.evaluate(state_q)[row]
    return pd.DataFrame(matrix, columns=list(names), index=bars.index)


class _BarQuantities(dict):
    """State quantities taken to the bars on first use (``state[row]``)."""

    def __init__(self, states: Quantities, row: Array) -> None:
        super().__init__()
        self._states, self._row = states, row

    def __missing__(self, key: str) -> Array:
        value = self._states[key][self._row]
        self[key] = value
        return value


def _no_filings() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "fiscal_period": pd.Series(dtype=object),
            "period_end": pd.Series(dtype="datetime64[us, UTC]"),
            "filing_timestamp": pd.Series(dtype="datetime64[us, UTC]"),
        }
    )


class FundamentalsFamily:
    """Fundamental ratios from filings, point in time (see the module docstring)."""

    name = "fundamentals"
    needs = frozenset({"fundamentals"})

    def views(self) -> list[ViewSpec]:
        return list(fundamentals_views())

    def compute(self, views: Sequence[ViewSpec], inputs: SymbolInputs) -> pd.DataFrame:
        names = [f.name for view in views for f in view.features]
        return compute_fundamentals(names, inputs.bars, inputs.fundamentals)


FUNDAMENTALS = FundamentalsFamily()
