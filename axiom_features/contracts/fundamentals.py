"""The fundamentals contract: quarterly filings, keyed by when they became public.

One row is one filing of one fiscal quarter. ``filing_timestamp`` is the instant the filing
became public, and it is the only time a point-in-time join may use: ``period_end`` says
which quarter the numbers describe, never when they could be known. A restatement is a new
row for the same ``fiscal_period`` with a later ``filing_timestamp``; the earlier row stays.

Flows (income statement, cash flow) are for the quarter alone, not year to date. Outflows
(``capital_expenditure``, ``dividends_paid``, ``share_repurchases``) are positive amounts.
Every number is float64 and may be null (not reported).
"""

from __future__ import annotations

import pyarrow as pa

from axiom_features.contracts.base import UTC_TIMESTAMP

FUNDAMENTALS_KEY: tuple[str, ...] = ("symbol", "fiscal_period", "filing_timestamp")

INCOME_COLUMNS: tuple[str, ...] = (
    "revenue",
    "cost_of_revenue",
    "gross_profit",
    "operating_income",
    "ebitda",
    "interest_expense",
    "income_tax",
    "net_income",
    "eps_diluted",
)
BALANCE_COLUMNS: tuple[str, ...] = (
    "total_assets",
    "current_assets",
    "cash_and_equivalents",
    "receivables",
    "inventory",
    "total_liabilities",
    "current_liabilities",
    "short_term_debt",
    "long_term_debt",
    "total_equity",
)
CASH_FLOW_COLUMNS: tuple[str, ...] = (
    "operating_cash_flow",
    "capital_expenditure",
    "dividends_paid",
    "share_repurchases",
)
OUTFLOW_COLUMNS: tuple[str, ...] = ("capital_expenditure", "dividends_paid", "share_repurchases")
"""Cash leaving the company, stored as positive amounts."""

FLOW_COLUMNS: tuple[str, ...] = (*INCOME_COLUMNS, *CASH_FLOW_COLUMNS)
"""Quarterly amounts: four consecutive quarters add up to a trailing twelve months."""

STOCK_COLUMNS: tuple[str, ...] = (*BALANCE_COLUMNS, "shares_outstanding")
"""Values at the period end (balance sheet and share count)."""

NUMERIC_FUNDAMENTAL_COLUMNS: tuple[str, ...] = (
    *INCOME_COLUMNS,
    *BALANCE_COLUMNS,
    *CASH_FLOW_COLUMNS,
    "shares_outstanding",
)

FUNDAMENTALS_SCHEMA = pa.schema(
    [
        pa.field("symbol", pa.string(), nullable=False),
        pa.field("fiscal_period", pa.string(), nullable=False),
        pa.field("period_end", UTC_TIMESTAMP, nullable=False),
        pa.field("filing_timestamp", UTC_TIMESTAMP, nullable=False),
        *[pa.field(name, pa.float64()) for name in NUMERIC_FUNDAMENTAL_COLUMNS],
        pa.field("created_timestamp", UTC_TIMESTAMP, nullable=False),
        pa.field("source", pa.string(), nullable=False),
    ],
    metadata={b"contract": b"fundamentals", b"key": ",".join(FUNDAMENTALS_KEY).encode()},
)
