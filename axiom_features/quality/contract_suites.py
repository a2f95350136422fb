"""Rule suites of the fundamentals and news contracts (the bar suite is in :mod:`suites`).

Same shape as the bar rules (a name, a severity, GX expectations), checked by
:func:`feature_rules.validate_table`, so every contract has its suite as code.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from axiom_features.contracts.fundamentals import (
    FUNDAMENTALS_KEY,
    FUNDAMENTALS_SCHEMA,
    OUTFLOW_COLUMNS,
)
from axiom_features.contracts.news import NEWS_KEY, NEWS_SCHEMA
from axiom_features.quality.context import GateContext
from axiom_features.quality.rules import Check, Rule, Severity, derived_rule


def _not_null(column: str) -> Rule:
    check = Check("ExpectColumnValuesToNotBeNull", {"column": column})
    return Rule(f"not_null:{column}", Severity.QUARANTINE, (check,), f"{column} is present")


def _unique(key: tuple[str, ...]) -> Rule:
    check = Check(
        "ExpectCompoundColumnsToBeUnique",
        {"column_list": list(key), "ignore_row_if": "any_value_is_missing"},
    )
    return Rule("unique_key", Severity.QUARANTINE, (check,), f"({', '.join(key)}) is unique")


def _at_least(name: str, a: str, b: str, description: str) -> Rule:
    check = Check(
        "ExpectColumnPairValuesAToBeGreaterThanB",
        {
            "column_A": a,
            "column_B": b,
            "or_equal": True,
            "ignore_row_if": "either_value_is_missing",
        },
    )
    return Rule(name, Severity.QUARANTINE, (check,), description)


def _non_negative(column: str, severity: Severity = Severity.QUARANTINE) -> Rule:
    check = Check("ExpectColumnValuesToBeBetween", {"column": column, "min_value": 0})
    return Rule(f"non_negative:{column}", severity, (check,), f"{column} >= 0")


def _fiscal_period_format(frame: pd.DataFrame, ctx: GateContext) -> np.ndarray:
    text = frame["fiscal_period"].astype("string")
    return (text.notna() & ~text.str.fullmatch(r"\d{4}Q[1-4]", na=False)).to_numpy()


def _future(column: str):  # noqa: ANN202 - a Derive
    def derive(frame: pd.DataFrame, ctx: GateContext) -> np.ndarray:
        limit = pd.Timestamp(ctx.now).tz_convert("UTC") + ctx.future_tolerance
        return (frame[column] > limit).to_numpy()

    return derive


FUNDAMENTALS_RULES: tuple[Rule, ...] = (
    *(_not_null(c) for c in ("symbol", "fiscal_period", "period_end", "filing_timestamp")),
    _unique(FUNDAMENTALS_KEY),
    _at_least(
        "filed_after_period_end",
        "filing_timestamp",
        "period_end",
        "a filing becomes public after its quarter ends (point-in-time key)",
    ),
    derived_rule(
        "fiscal_period_format",
        Severity.QUARANTINE,
        "fiscal_period is YYYYQn",
        _fiscal_period_format,
    ),
    derived_rule(
        "future_filing", Severity.QUARANTINE, "filed before now", _future("filing_timestamp")
    ),
    *(_non_negative(c) for c in (*OUTFLOW_COLUMNS, "shares_outstanding", "total_assets")),
    _non_negative("revenue", Severity.WARN),
)
"""The fundamentals contract's rules (every column name is in ``FUNDAMENTALS_SCHEMA``)."""


def _blank_headline(frame: pd.DataFrame, ctx: GateContext) -> np.ndarray:
    text = frame["headline"].astype("string")
    return (text.notna() & (text.str.strip() == "")).to_numpy()


NEWS_RULES: tuple[Rule, ...] = (
    *(_not_null(c) for c in ("symbol", "published_at", "headline")),
    _unique(NEWS_KEY),
    derived_rule("blank_headline", Severity.QUARANTINE, "headline has text", _blank_headline),
    derived_rule(
        "future_news", Severity.QUARANTINE, "published before now", _future("published_at")
    ),
)
"""The news contract's rules (every column name is in ``NEWS_SCHEMA``)."""


def contract_columns() -> dict[str, set[str]]:
    return {"fundamentals": set(FUNDAMENTALS_SCHEMA.names), "news": set(NEWS_SCHEMA.names)}
