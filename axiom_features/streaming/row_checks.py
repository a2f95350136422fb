"""The batch gate's row rules on a micro-batch of live bars, in numpy.

The stream applies :data:`~axiom_features.quality.rules.ROW_RULES` to every micro-batch. The
gate (:func:`~axiom_features.quality.gate.validate_bars`) runs them through its check engine,
which costs tens of milliseconds per call whatever the batch size: more than the rest of a
small micro-batch together. These are the same rules on arrays, with the gate's verdicts
(same rules failing, listed in the same order, joined by ``;``); a test holds the two to the
same answers on batches with every kind of fault.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from axiom_features.contracts import BAR_KEY, NUMERIC_BAR_COLUMNS, PRICE_COLUMNS
from axiom_features.quality.gate import RULE_SEPARATOR
from axiom_features.quality.rules import ROW_RULES, conflicting_copies, later_exact_copies

Check = Callable[[pd.DataFrame, dict[str, np.ndarray]], np.ndarray]


def _at_least(a: str, b: str) -> Callable[[dict[str, np.ndarray]], np.ndarray]:
    """``a < b`` where both are present (the gate ignores a row missing either)."""

    def failing(values: dict[str, np.ndarray]) -> np.ndarray:
        x, y = values[a], values[b]
        with np.errstate(invalid="ignore"):
            return ~np.isnan(x) & ~np.isnan(y) & (x < y)

    return failing


def _null(column: str) -> Check:
    def failing(frame: pd.DataFrame, values: dict[str, np.ndarray]) -> np.ndarray:
        if column in values:
            return np.isnan(values[column])
        return frame[column].isna().to_numpy()

    return failing


def _positive(column: str) -> Check:
    def failing(_: pd.DataFrame, values: dict[str, np.ndarray]) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            return values[column] <= 0

    return failing


def _any(*checks: Callable[[dict[str, np.ndarray]], np.ndarray]) -> Check:
    def failing(_: pd.DataFrame, values: dict[str, np.ndarray]) -> np.ndarray:
        out = np.zeros(len(next(iter(values.values()))), dtype=bool)
        for check in checks:
            out |= check(values)
        return out

    return failing


def _volume_negative(_: pd.DataFrame, values: dict[str, np.ndarray]) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return values["volume"] < 0


def _shared_keys(frame: pd.DataFrame) -> np.ndarray:
    """Positions of rows whose complete key another row of the batch shares."""
    columns = [frame[c].tolist() for c in BAR_KEY]
    if len(set(zip(*columns, strict=True))) == len(frame):
        return np.empty(0, dtype=np.intp)
    keys = frame[list(BAR_KEY)]
    complete = keys.notna().all(axis=1).to_numpy()
    shared = keys.duplicated(keep=False).to_numpy() & complete
    return np.flatnonzero(shared)


def _copies(refine: Callable[[pd.DataFrame, np.ndarray], np.ndarray]) -> Check:
    def failing(frame: pd.DataFrame, _: dict[str, np.ndarray]) -> np.ndarray:
        out = np.zeros(len(frame), dtype=bool)
        shared = _shared_keys(frame)
        if len(shared):
            out[refine(frame.reset_index(drop=True), shared)] = True
        return out

    return failing


CHECKS: dict[str, Check] = {
    **{f"not_null:{c}": _null(c) for c in ("symbol", "event_timestamp", *NUMERIC_BAR_COLUMNS)},
    **{f"positive:{c}": _positive(c) for c in PRICE_COLUMNS},
    "high_is_max": _any(
        _at_least("high", "open"), _at_least("high", "close"), _at_least("high", "low")
    ),
    "low_is_min": _any(_at_least("open", "low"), _at_least("close", "low")),
    "volume_non_negative": _volume_negative,
    "unique_key": _copies(later_exact_copies),
    "unique_key_conflict": _copies(conflicting_copies),
}
"""Per row rule: which rows of a batch fail it."""

if [r.name for r in ROW_RULES] != list(CHECKS):
    raise ImportError("streaming.row_checks does not cover the gate's row rules")


def failed_rules(bars: pd.DataFrame) -> np.ndarray:
    """Per bar (contract columns): the row rules it fails, joined by ``;`` ("" = none)."""
    values = {c: bars[c].to_numpy(np.float64, na_value=np.nan) for c in NUMERIC_BAR_COLUMNS}
    labels = np.full(len(bars), "", dtype=object)
    for name, check in CHECKS.items():
        rows = check(bars, values)
        if rows.any():
            labels[rows] = np.where(labels[rows] == "", name, labels[rows] + RULE_SEPARATOR + name)
    return labels
