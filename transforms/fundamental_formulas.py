"""Every fundamentals feature as a formula of named quantities, grouped into views."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np

from transforms.fundamental_states import Array, Quantities, divide, growth
from transforms.specs import FeatureSpec

TRANSFORM = "fundamentals"
VERSION = "fundamentals-1"

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
        lambda n, d: scale * divide(n, d),
        f"{what} ({text}; NaN when {den} <= 0)",
    )


def _rate(name: str, view: str, now: str, base: str, what: str) -> Formula:
    """``now / base - 1``, NaN where ``base <= 0``."""
    text = f"{now} / {base} - 1"
    return Formula(name, view, text, (now, base), growth, f"{what} ({text}; NaN when {base} <= 0)")


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
    pe = divide(close, eps_ttm)
    return divide(pe, 100.0 * growth)


def _runway(cash: Array, fcf_ttm: Array) -> Array:
    burn = -fcf_ttm / 4.0
    return divide(cash, burn)


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
