"""Rule suites for feature tables, built from the catalogue: value ranges per feature.

A feature's range follows from what its function computes (an RSI lies in [0, 100], a
candlestick pattern in [-200, 200], a volatility is ≥ 0); features without a known bound
only have to be finite. A value outside its range is a bug in a transform, so range rules
block the table by default; non-finite values (a ratio over a zero) warn.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from axiom_features.quality.checks import run_checks
from axiom_features.quality.context import GateContext
from axiom_features.quality.rules import Check, Rule, Severity

Bounds = tuple[float | None, float | None]

PERCENT = (0.0, 100.0)
SIGNED_PERCENT = (-100.0, 100.0)
UNIT = (-1.0, 1.0)
SHARE = (0.0, 1.0)
NON_NEGATIVE = (0.0, None)

FUNCTION_RANGES: dict[str, Bounds] = {
    **dict.fromkeys(
        ["RSI", "STOCH", "STOCHF", "STOCHRSI", "ADX", "ADXR", "DX", "MFI", "AROON", "ULTOSC",
         "PLUS_DI", "MINUS_DI", "PERCENTRANK", "IMI", "RVI"],
        PERCENT,
    ),
    **dict.fromkeys(["CMO", "AROONOSC"], SIGNED_PERCENT),
    "WILLR": (-100.0, 0.0),
    **dict.fromkeys(["BOP", "CORREL", "regime_corr_to_market", "market_correlation"], UNIT),
    **dict.fromkeys(
        ["ATR", "NATR", "TRANGE", "STDDEV", "VAR", "AVGDEV", "SQRT", "PLUS_DM", "MINUS_DM",
         "count", "rolling_count", "std", "days_since_last", "amihud", "parkinson",
         "garman_klass", "rogers_satchell", "yang_zhang", "dollar_volume", "relative_volume",
         "volatility", "downside_deviation"],
        NON_NEGATIVE,
    ),
    **dict.fromkeys(
        ["pos_share", "neg_share", "up_volume_share", "max_drawdown", "vol_rank",
         "correlation_rank", "HT_TRENDMODE"],
        SHARE,
    ),
    **dict.fromkeys(["mean", "max", "min", "decay_mean", "rolling_mean"], UNIT),
    **dict.fromkeys(["vol_code", "correlation_code"], (0.0, 2.0)),
    **dict.fromkeys(["trend_code", "sma_slope_sign"], (-1.0, 1.0)),
}  # fmt: skip
"""Bounds by the catalogue's ``function`` (TA-Lib names and the other families' names)."""


def feature_bounds(function: str) -> Bounds | None:
    """The range of a feature computed by ``function`` (None: only finite)."""
    if function.startswith("CDL"):
        return (-200.0, 200.0)
    return FUNCTION_RANGES.get(function)


ROUNDING = 1e-9
"""Slack on a bound for floating-point rounding (a StochRSI of -4e-14 is 0)."""


def range_rule(name: str, bounds: Bounds, severity: Severity = Severity.BLOCK) -> Rule:
    low, high = bounds
    kwargs = {
        "column": name,
        "min_value": None if low is None else low - ROUNDING * max(1.0, abs(low)),
        "max_value": None if high is None else high + ROUNDING * max(1.0, abs(high)),
    }
    text = f"{name} in [{'-inf' if low is None else low}, {'inf' if high is None else high}]"
    return Rule(f"range:{name}", severity, (Check("ExpectColumnValuesToBeBetween", kwargs),), text)


def finite_rule(name: str, severity: Severity = Severity.WARN) -> Rule:
    kwargs = {"column": name, "min_value": -np.finfo(np.float64).max,
              "max_value": np.finfo(np.float64).max}  # fmt: skip
    check = Check("ExpectColumnValuesToBeBetween", kwargs)
    return Rule(f"finite:{name}", severity, (check,), f"{name} is finite")


def feature_rules(views: Iterable[str] | None = None) -> list[Rule]:
    """One rule per catalogue feature of ``views`` (default all): its range, else finiteness."""
    from transforms.catalogue import catalogue

    rules = []
    for view in catalogue().select(list(views) if views is not None else None):
        for feature in view.features:
            bounds = feature_bounds(feature.function)
            rules.append(range_rule(feature.name, bounds) if bounds else finite_rule(feature.name))
    return rules


@dataclass
class TableVerdict:
    """Rows failing each rule of a feature table, and whether a block rule failed."""

    failing_rows: dict[str, np.ndarray]
    blocked_by: list[str]

    @property
    def counts(self) -> dict[str, int]:
        return {name: len(rows) for name, rows in self.failing_rows.items()}


def validate_table(
    frame: pd.DataFrame,
    rules: Iterable[Rule],
    *,
    engine: str = "auto",
    partition_rows: int | None = None,
    context: GateContext | None = None,
) -> TableVerdict:
    """Check a table (feature table, fundamentals, news) against ``rules`` it has columns for.

    With ``partition_rows``, the frame is checked in slices of that many rows and the row
    positions stitched together, so memory stays bounded by the slice (derived rules then
    see one slice at a time). Rows failing ``quarantine`` rules are counted like the others.
    """
    ctx = context or GateContext()
    rules = [
        r
        for r in rules
        if r.derive is not None or all(c in frame for ch in r.checks for c in ch.columns)
    ]
    checks = [c for r in rules for c in r.checks]
    step = partition_rows or max(len(frame), 1)
    found: dict[str, list[np.ndarray]] = {c.key: [] for c in checks}
    for start in range(0, len(frame), step):
        part = frame.iloc[start : start + step]
        derived = {r.derived_column: r.derive(part, ctx) for r in rules if r.derive is not None}
        if derived:
            part = part.assign(**derived)
        outcomes = run_checks(part, checks, engine)
        for key, outcome in outcomes.items():
            if outcome.unexpected is not None:
                found[key].append(outcome.unexpected + start)
    failing = {}
    for rule in rules:
        parts = [p for c in rule.checks for p in found[c.key]]
        failing[rule.name] = np.unique(np.concatenate(parts)) if parts else np.empty(0, np.int64)
    blocked = [r.name for r in rules if r.severity is Severity.BLOCK and len(failing[r.name])]
    return TableVerdict(failing_rows=failing, blocked_by=blocked)
