"""Vendor column names of fundamentals files → the fundamentals contract's names.

Names are compared case-insensitively with spaces, dots, dashes and underscores removed
(:func:`axiom_features.ingest.columns.squash`), so "Total Revenue", "total_revenue" and
"totalRevenue" are one spelling. Spellings cover common exports (SEC/EDGAR, FMP, Alpha
Vantage, Yahoo-style statements); the first spelling found wins.
"""

from __future__ import annotations

from collections.abc import Iterable

from axiom_features.contracts.fundamentals import NUMERIC_FUNDAMENTAL_COLUMNS
from axiom_features.ingest.columns import squash
from axiom_features.ingest.errors import IngestError

KEY_ALIASES: dict[str, tuple[str, ...]] = {
    "symbol": ("symbol", "ticker"),
    "fiscal_period": ("fiscalperiod", "fiscalquarter", "period", "quarter"),
    "period_end": (
        "periodend", "periodending", "periodenddate", "fiscaldateending", "enddate",
        "reportperiod", "date",
    ),
    "filing_timestamp": (
        "filingtimestamp", "accepteddate", "acceptancedatetime", "filingdate", "fillingdate",
        "filed", "filedate", "reporteddate",
    ),
}  # fmt: skip
"""Spellings of the key and date columns, most specific first."""

YEAR_ALIASES: tuple[str, ...] = ("fiscalyear", "calendaryear", "year")
"""A year column completing a quarter-only period ("Q3")."""

NUMBER_ALIASES: dict[str, tuple[str, ...]] = {
    "revenue": ("revenue", "totalrevenue", "revenues", "totalrevenues", "netsales", "sales"),
    "cost_of_revenue": ("costofrevenue", "costofgoodssold", "costofsales", "cogs"),
    "gross_profit": ("grossprofit",),
    "operating_income": ("operatingincome", "operatingincomeloss", "ebit"),
    "ebitda": ("ebitda",),
    "interest_expense": ("interestexpense",),
    "income_tax": (
        "incometax", "incometaxexpense", "provisionforincometaxes", "incometaxprovision",
    ),
    "net_income": ("netincome", "netincomeloss", "netincomecommonstockholders"),
    "eps_diluted": (
        "epsdiluted", "dilutedeps", "earningspersharediluted", "dilutedearningspershare",
    ),
    "total_assets": ("totalassets", "assets"),
    "current_assets": ("currentassets", "totalcurrentassets"),
    "cash_and_equivalents": (
        "cashandequivalents", "cashandcashequivalents", "cashandshortterminvestments", "cash",
    ),
    "receivables": ("receivables", "netreceivables", "accountsreceivable"),
    "inventory": ("inventory", "inventories"),
    "total_liabilities": ("totalliabilities", "liabilities"),
    "current_liabilities": ("currentliabilities", "totalcurrentliabilities"),
    "short_term_debt": ("shorttermdebt", "currentdebt", "shorttermborrowings"),
    "long_term_debt": ("longtermdebt", "longtermdebtnoncurrent"),
    "total_equity": (
        "totalequity", "totalstockholdersequity", "totalshareholderequity",
        "stockholdersequity", "shareholdersequity",
    ),
    "operating_cash_flow": (
        "operatingcashflow", "cashflowfromoperations", "netcashprovidedbyoperatingactivities",
    ),
    "capital_expenditure": ("capitalexpenditure", "capitalexpenditures", "capex"),
    "dividends_paid": ("dividendspaid", "dividendpayout", "commondividendspaid"),
    "share_repurchases": (
        "sharerepurchases", "commonstockrepurchased", "stockrepurchased", "buybacks",
    ),
    "shares_outstanding": (
        "sharesoutstanding", "commonsharesoutstanding", "dilutedsharesoutstanding",
        "weightedaverageshsoutdil",
    ),
}  # fmt: skip
"""Spellings of each numeric column; a numeric column absent from the file is all null."""

REQUIRED: tuple[str, ...] = ("symbol", "fiscal_period", "period_end", "filing_timestamp")

assert set(NUMBER_ALIASES) == set(NUMERIC_FUNDAMENTAL_COLUMNS)


def map_fundamental_columns(names: Iterable[object], where: str) -> dict[str, str]:
    """Contract name (and ``"fiscal_year"`` if present) → source column name.

    IngestError naming ``where`` and the column when a key column has no spelling in the file.
    """
    by_squash: dict[str, str] = {}
    for name in names:
        by_squash.setdefault(squash(name), str(name))
    found: dict[str, str] = {}
    for target, spellings in {**KEY_ALIASES, **NUMBER_ALIASES}.items():
        match = next((by_squash[s] for s in spellings if s in by_squash), None)
        if match is not None and match not in found.values():
            found[target] = match
    year = next((by_squash[s] for s in YEAR_ALIASES if s in by_squash), None)
    if year is not None:
        found["fiscal_year"] = year
    for column in REQUIRED:
        if column not in found:
            spellings = ", ".join(KEY_ALIASES[column])
            raise IngestError(
                f"{where}: missing required column '{column}' (accepted spellings, any case: "
                f"{spellings}); columns found: {', '.join(by_squash.values()) or 'none'}"
            )
    return found
