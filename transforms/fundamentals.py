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

from collections.abc import Sequence
from datetime import timedelta
from functools import cache

import numpy as np
import pandas as pd

from transforms.family import SymbolInputs
from transforms.fundamental_formulas import VIEW_DESCRIPTIONS, formulas
from transforms.fundamental_states import (
    DAY_NS,
    Array,
    Quantities,
    as_ns,
    filing_states,
    per_bar_quantities,
)
from transforms.specs import FeatureSpec, ViewSpec

VIEW_TTL = timedelta(days=120)
"""Quarterly data: a row stays valid for a quarter plus a late filing."""


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
    bar_ns = as_ns(bars["event_timestamp"])
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
                at_bar.update(per_bar_quantities(at_bar, close, bar_ns / DAY_NS))
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
