"""The quality rules for bars, as data: a name, a severity and the GX expectations that check it.

A rule's name is what the quarantine's ``failed_rules`` column records, so names are stable.
Expectations are named by their class in ``great_expectations.expectations`` and built only
when a batch is validated, so defining or listing rules does not import GX.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from axiom_features.contracts import (
    BAR_KEY,
    BAR_SCHEMA,
    NUMERIC_BAR_COLUMNS,
    PRICE_COLUMNS,
    UTC_TIMESTAMP,
)
from axiom_features.quality.context import GateContext


class Severity(StrEnum):
    """What a failure does to the batch."""

    BLOCK = "block"
    """The whole batch is refused; nothing is written (a row rule names the rows)."""
    QUARANTINE = "quarantine"
    """Failing rows are set aside with their reasons; the rest go on."""
    WARN = "warn"
    """Failing rows are counted but kept."""


@dataclass(frozen=True)
class Check:
    """One GX expectation: its class name and keyword arguments."""

    expectation: str
    kwargs: Mapping[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """Identical checks share a key, so a check used by two rules runs once."""
        return json.dumps([self.expectation, dict(self.kwargs)], sort_keys=True)

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns the check reads."""
        names = [self.kwargs.get(k) for k in ("column", "column_A", "column_B")]
        return tuple(n for n in names if n) + tuple(self.kwargs.get("column_list", ()))


Refine = Callable[[pd.DataFrame, np.ndarray], np.ndarray]
"""Narrows the row positions the checks flagged to the rows the rule rejects."""

Derive = Callable[[pd.DataFrame, GateContext], np.ndarray]
"""Computes, per row, whether it fails a rule that needs more than one row's columns."""


@dataclass(frozen=True)
class Rule:
    """A named quality rule: a row fails it when any of its checks flags the row.

    A rule with ``derive`` first computes a boolean column ``__<name>`` (True = fails) from
    the batch and its context; its check then asks GX that the column holds only False.
    A rule with ``per_row=False`` is about the batch as a whole (columns, types).
    """

    name: str
    severity: Severity
    checks: tuple[Check, ...]
    description: str
    refine: Refine | None = None
    derive: Derive | None = None
    per_row: bool = True

    @property
    def derived_column(self) -> str:
        return f"__{self.name}"


def derived_rule(name: str, severity: Severity, description: str, derive: Derive) -> Rule:
    """A rule whose failing rows are computed by ``derive`` and checked by GX."""
    check = Check("ExpectColumnValuesToBeInSet", {"column": f"__{name}", "value_set": [False]})
    return Rule(name, severity, (check,), description, derive=derive)


def with_severities(rules: Iterable[Rule], overrides: Mapping[str, Severity | str]) -> list[Rule]:
    """``rules`` with the severities named in ``overrides`` changed; unknown names fail."""
    rules = list(rules)
    unknown = set(overrides) - {r.name for r in rules}
    if unknown:
        raise ValueError(f"unknown rule(s) {', '.join(sorted(unknown))}")
    for name, severity in overrides.items():
        rule = next(r for r in rules if r.name == name)
        if not rule.per_row and Severity(severity) is not Severity.BLOCK:
            raise ValueError(f"rule {name} is about the whole batch; it can only block")
    return [
        replace(r, severity=Severity(overrides[r.name])) if r.name in overrides else r
        for r in rules
    ]


def later_exact_copies(frame: pd.DataFrame, flagged: np.ndarray) -> np.ndarray:
    """Of rows sharing a key, the copies after the first when all of them hold the same values."""
    shared = frame.iloc[flagged]
    conflicted = _conflicting(shared)
    return flagged[~conflicted & shared.duplicated(list(BAR_KEY), keep="first").to_numpy()]


def conflicting_copies(frame: pd.DataFrame, flagged: np.ndarray) -> np.ndarray:
    """Of rows sharing a key, every row of a key whose rows disagree on any value."""
    return flagged[_conflicting(frame.iloc[flagged])]


def _conflicting(shared: pd.DataFrame) -> np.ndarray:
    variants = shared[[*BAR_KEY, *NUMERIC_BAR_COLUMNS]].drop_duplicates()
    per_key = variants.groupby(list(BAR_KEY), dropna=False, sort=False).size()
    bad = per_key[per_key > 1].index
    return pd.MultiIndex.from_frame(shared[list(BAR_KEY)]).isin(bad)


def _not_null(column: str) -> Rule:
    return Rule(
        f"not_null:{column}",
        Severity.QUARANTINE,
        (Check("ExpectColumnValuesToNotBeNull", {"column": column}),),
        f"{column} is present",
    )


def _positive(column: str) -> Rule:
    check = Check(
        "ExpectColumnValuesToBeBetween", {"column": column, "min_value": 0, "strict_min": True}
    )
    return Rule(f"positive:{column}", Severity.QUARANTINE, (check,), f"{column} > 0")


def _at_least(a: str, b: str) -> Check:
    return Check(
        "ExpectColumnPairValuesAToBeGreaterThanB",
        {
            "column_A": a,
            "column_B": b,
            "or_equal": True,
            "ignore_row_if": "either_value_is_missing",
        },
    )


_PANDAS_DTYPES = {UTC_TIMESTAMP: "datetime64[us, UTC]", pa.float64(): "float64"}
_STRING_TYPES = ["object", "str", "string"]


def _schema_type(column: str) -> Rule:
    arrow_type = BAR_SCHEMA.field(column).type
    if arrow_type == pa.string():
        kwargs = {"column": column, "type_list": _STRING_TYPES}
        check, expected = Check("ExpectColumnValuesToBeInTypeList", kwargs), "holds strings"
    else:
        dtype = _PANDAS_DTYPES[arrow_type]
        check = Check("ExpectColumnTypeToBe", {"column": column, "type_": dtype})
        expected = f"has dtype {dtype}"
    return Rule(
        f"schema_type:{column}", Severity.BLOCK, (check,), f"{column} {expected}", per_row=False
    )


_UNIQUE = Check(
    "ExpectCompoundColumnsToBeUnique",
    {"column_list": list(BAR_KEY), "ignore_row_if": "any_value_is_missing"},
)

SCHEMA_RULES: tuple[Rule, ...] = (
    Rule(
        "schema_columns",
        Severity.BLOCK,
        tuple(Check("ExpectColumnToExist", {"column": c}) for c in BAR_SCHEMA.names),
        "every contract column is present",
        per_row=False,
    ),
    *(_schema_type(c) for c in BAR_SCHEMA.names),
)

ROW_RULES: tuple[Rule, ...] = (
    *(_not_null(c) for c in ("symbol", "event_timestamp", *NUMERIC_BAR_COLUMNS)),
    *(_positive(c) for c in PRICE_COLUMNS),
    Rule(
        "high_is_max",
        Severity.QUARANTINE,
        (_at_least("high", "open"), _at_least("high", "close"), _at_least("high", "low")),
        "high >= max(open, close, low)",
    ),
    Rule(
        "low_is_min",
        Severity.QUARANTINE,
        (_at_least("open", "low"), _at_least("close", "low")),
        "low <= min(open, close)",
    ),
    Rule(
        "volume_non_negative",
        Severity.QUARANTINE,
        (Check("ExpectColumnValuesToBeBetween", {"column": "volume", "min_value": 0}),),
        "volume >= 0",
    ),
    Rule(
        "unique_key",
        Severity.QUARANTINE,
        (_UNIQUE,),
        "a later exact copy of a row (symbol, event_timestamp, source); the first is kept",
        refine=later_exact_copies,
    ),
    Rule(
        "unique_key_conflict",
        Severity.QUARANTINE,
        (_UNIQUE,),
        "rows sharing (symbol, event_timestamp, source) with different values; all are held",
        refine=conflicting_copies,
    ),
)
"""Row constraints of the bar contract: presence, ranges, OHLC consistency, unique keys."""
