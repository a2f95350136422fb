"""Runs checks as one DuckDB scan over a frame: the GX verdicts, at column-store speed.

Each supported expectation becomes a SQL condition with GX's semantics for pandas (NaN is
missing; ``mostly`` is not used, so a check succeeds when no row is unexpected):

- ``ExpectColumnValuesToNotBeNull``: unexpected when missing.
- ``ExpectColumnValuesToBeBetween``: missing values ignored; outside [min, max] (strict
  bounds honoured; ±inf is outside any finite bound).
- ``ExpectColumnValuesToBeInSet``: missing values ignored; value not in the set.
- ``ExpectColumnPairValuesAToBeGreaterThanB``: rows ignored per ``ignore_row_if``; the
  others unexpected unless A > B (A ≥ B with ``or_equal``).
- ``ExpectCompoundColumnsToBeUnique``: rows whose combination occurs more than once
  (computed with pandas, which keeps row order cheaply).
- ``ExpectColumnToExist``: a batch check on the frame's columns.
- ``ExpectColumnTypeToBe``, ``ExpectColumnValuesToBeInTypeList``: dtypes and value types,
  as GX decides them on pandas (:mod:`.type_checks`).

Any other expectation is handed to GX (:func:`.gx_engine.run_checks_gx`) on its columns only.
All conditions are evaluated in a single projection, so the frame is read once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from axiom_features.quality.gx_engine import run_checks_gx
from axiom_features.quality.outcome import CheckOutcome
from axiom_features.quality.rules import Check
from axiom_features.quality.type_checks import answerable, run_type_check

SQL_EXPECTATIONS = frozenset(
    {
        "ExpectColumnValuesToNotBeNull",
        "ExpectColumnValuesToBeBetween",
        "ExpectColumnValuesToBeInSet",
        "ExpectColumnPairValuesAToBeGreaterThanB",
    }
)
PANDAS_EXPECTATIONS = frozenset({"ExpectCompoundColumnsToBeUnique", "ExpectColumnToExist"})


def supported(check: Check) -> bool:
    if check.expectation == "ExpectColumnValuesToBeBetween":
        bounds = [check.kwargs.get("min_value"), check.kwargs.get("max_value")]
        return all(b is None or isinstance(b, int | float) for b in bounds)
    return check.expectation in SQL_EXPECTATIONS | PANDAS_EXPECTATIONS


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(float(value))
    return "'" + str(value).replace("'", "''") + "'"


def _missing(column: str, numeric: bool) -> str:
    c = _q(column)
    return f"({c} IS NULL OR isnan({c}))" if numeric else f"({c} IS NULL)"


def _condition(check: Check, numeric: dict[str, bool]) -> str:
    """SQL that is TRUE for an unexpected row (NULL results count as expected)."""
    kw = check.kwargs
    if check.expectation == "ExpectColumnValuesToNotBeNull":
        return _missing(kw["column"], numeric[kw["column"]])
    if check.expectation == "ExpectColumnValuesToBeBetween":
        c, parts = _q(kw["column"]), []
        if kw.get("min_value") is not None:
            op = "<=" if kw.get("strict_min") else "<"
            parts.append(f"{c} {op} {_literal(kw['min_value'])}")
        if kw.get("max_value") is not None:
            op = ">=" if kw.get("strict_max") else ">"
            parts.append(f"{c} {op} {_literal(kw['max_value'])}")
        inside = " OR ".join(parts) or "FALSE"
        return f"(NOT {_missing(kw['column'], numeric[kw['column']])} AND ({inside}))"
    if check.expectation == "ExpectColumnValuesToBeInSet":
        values = ", ".join(_literal(v) for v in kw["value_set"])
        missing = _missing(kw["column"], numeric[kw["column"]])
        return f"(NOT {missing} AND {_q(kw['column'])} NOT IN ({values}))"
    a, b = kw["column_A"], kw["column_B"]
    ma, mb = _missing(a, numeric[a]), _missing(b, numeric[b])
    ignore = {
        "both_values_are_missing": f"({ma} AND {mb})",
        "either_value_is_missing": f"({ma} OR {mb})",
        "neither": "FALSE",
    }[kw.get("ignore_row_if", "both_values_are_missing")]
    op = ">=" if kw.get("or_equal") else ">"
    return f"(NOT {ignore} AND NOT coalesce({_q(a)} {op} {_q(b)}, FALSE))"


def _duplicates(frame: pd.DataFrame, check: Check) -> np.ndarray:
    columns = list(check.kwargs["column_list"])
    part = frame[columns]
    rule = check.kwargs.get("ignore_row_if", "all_values_are_missing")
    missing = part.isna()
    skip = missing.any(axis=1) if rule == "any_value_is_missing" else missing.all(axis=1)
    if rule == "never":
        skip[:] = False
    dup = part.duplicated(keep=False).to_numpy() & ~skip.to_numpy()
    if skip.any():  # rows skipped do not make others duplicates
        kept = part[~skip]
        dup = np.zeros(len(part), dtype=bool)
        dup[np.flatnonzero(~skip.to_numpy())] = kept.duplicated(keep=False).to_numpy()
    return np.flatnonzero(dup)


def run_checks_sql(frame: pd.DataFrame, checks: Sequence[Check]) -> dict[str, CheckOutcome]:
    """Outcomes of ``checks`` on ``frame`` (row positions in frame order), by check key."""
    import duckdb

    unique = list({c.key: c for c in checks}.values())
    outcomes: dict[str, CheckOutcome] = {}
    sql_checks = [c for c in unique if supported(c) and c.expectation in SQL_EXPECTATIONS]
    typed = [c for c in unique if answerable(c, frame)]
    rest = [c for c in unique if not supported(c) and c not in typed]
    for check in typed:
        outcomes[check.key] = run_type_check(frame, check)
    for check in unique:
        if check.expectation == "ExpectColumnToExist":
            found = check.kwargs["column"] in frame
            outcomes[check.key] = CheckOutcome(success=found, unexpected=None)
        elif check.expectation == "ExpectCompoundColumnsToBeUnique":
            rows = _duplicates(frame, check)
            outcomes[check.key] = CheckOutcome(success=not len(rows), unexpected=rows)
    if sql_checks:
        columns = list(dict.fromkeys(col for c in sql_checks for col in c.columns))
        data = frame[columns]
        numeric = {c: pd.api.types.is_float_dtype(data[c].dtype) for c in columns}
        select = ", ".join(
            f"coalesce({_condition(c, numeric)}, FALSE) AS c{i}" for i, c in enumerate(sql_checks)
        )
        with duckdb.connect() as con:
            con.register("batch", data)
            result = con.execute(f"SELECT {select} FROM batch").fetchnumpy()
        for i, check in enumerate(sql_checks):
            rows = np.flatnonzero(np.asarray(result[f"c{i}"], dtype=bool))
            outcomes[check.key] = CheckOutcome(success=not len(rows), unexpected=rows)
    if rest:
        outcomes.update(run_checks_gx(frame, rest))
    return outcomes
