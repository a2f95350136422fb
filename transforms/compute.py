"""Compute feature views on one symbol's bars.

The hot path calls TA-Lib's function API once per distinct call (all outputs of a
multi-output function come from one call) on contiguous float64 arrays extracted once,
writes each output into a preallocated ``(features, rows)`` float64 matrix, and builds the
DataFrame once, without copying. Plans of the TA-Lib views are built once per process.

Input: one symbol's bars sorted by ``event_timestamp`` with float64 columns
open/high/low/close/volume. Output: one float64 column per feature, same rows and order.
Every feature's first ``warmup`` rows are NaN (see :mod:`transforms.talib_features`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
import talib
from talib import abstract

from transforms.specs import FeatureSpec, ViewSpec
from transforms.talib_features import DERIVED_INPUTS, talib_views

BAR_INPUTS: tuple[str, ...] = ("open", "high", "low", "close", "volume")


@dataclass(frozen=True)
class Call:
    """One TA-Lib call and where each of its outputs goes: (output, matrix row, warmup, post)."""

    function: Callable[..., Any]
    inputs: tuple[str, ...]
    parameters: dict[str, int | float]
    targets: tuple[tuple[int, int, int, str], ...]


@dataclass(frozen=True)
class Plan:
    """The calls computing a sequence of views; matrix rows follow ``names``."""

    names: tuple[str, ...]
    calls: tuple[Call, ...]
    bar_inputs: tuple[str, ...]
    derived_inputs: tuple[str, ...]
    views: tuple[tuple[str, int, int], ...]
    """(view name, first row, end row) of each view in the matrix."""


def _output_position(feature: FeatureSpec) -> int:
    return list(abstract.Function(feature.function).info["output_names"]).index(feature.output)


def build_plan(views: Sequence[ViewSpec]) -> Plan:
    """Group the views' features into distinct calls, keeping the features' order as rows."""
    features = [f for view in views for f in view.features]
    calls: dict[tuple, list[tuple[int, int, int, str]]] = {}
    first: dict[tuple, FeatureSpec] = {}
    for row, feature in enumerate(features):
        if feature.transform != "talib":
            raise ValueError(f"feature {feature.name!r}: unknown transform {feature.transform!r}")
        key = feature.call_key
        first.setdefault(key, feature)
        target = (_output_position(feature), row, feature.warmup, feature.post)
        calls.setdefault(key, []).append(target)
    inputs = {name for f in features for name in f.inputs}
    bounds, start = [], 0
    for view in views:
        bounds.append((view.name, start, start + len(view.features)))
        start += len(view.features)
    return Plan(
        names=tuple(f.name for f in features),
        calls=tuple(
            Call(getattr(talib, f.function), f.inputs, dict(f.parameters), tuple(calls[key]))
            for key, f in first.items()
        ),
        bar_inputs=tuple(name for name in BAR_INPUTS if name in inputs),
        derived_inputs=tuple(sorted(inputs & DERIVED_INPUTS.keys())),
        views=tuple(bounds),
    )


def _talib_views_by_name() -> dict[str, ViewSpec]:
    return {view.name: view for view in talib_views()}


@lru_cache(maxsize=64)
def _cached_plan(key: tuple[tuple[str, str], ...]) -> Plan:
    known = _talib_views_by_name()
    return build_plan([known[name] for name, _ in key])


def plan_for(views: Sequence[ViewSpec]) -> Plan:
    """The plan of the TA-Lib views, cached by (name, version); other views are planned afresh."""
    known = _talib_views_by_name()
    if all(known.get(v.name) is v for v in views):
        return _cached_plan(tuple((v.name, v.version) for v in views))
    return build_plan(views)


def bar_arrays(bars: pd.DataFrame, names: Sequence[str] = BAR_INPUTS) -> dict[str, np.ndarray]:
    """Contiguous float64 arrays of the named bar columns."""
    return {
        name: np.ascontiguousarray(bars[name].to_numpy(dtype=np.float64, na_value=np.nan))
        for name in names
    }


def compute_matrix(plan: Plan, arrays: Mapping[str, np.ndarray]) -> np.ndarray:
    """Run ``plan`` on one symbol's arrays; returns a ``(features, rows)`` float64 matrix."""
    inputs = dict(arrays)
    n = len(inputs[plan.bar_inputs[0]]) if plan.bar_inputs else 0
    matrix = np.empty((len(plan.names), n), dtype=np.float64)
    if n == 0:
        return matrix
    for name in plan.derived_inputs:
        inputs[name] = DERIVED_INPUTS[name].compute(inputs)
    positions: np.ndarray | None = None
    for call in plan.calls:
        result = call.function(*[inputs[name] for name in call.inputs], **call.parameters)
        outputs = result if isinstance(result, tuple) else (result,)
        for position, row, warmup, post in call.targets:
            column = matrix[row]
            column[:] = outputs[position]
            if post == "bars_since":
                if positions is None:
                    positions = np.arange(n, dtype=np.float64)
                np.subtract(positions, column, out=column)
            column[:warmup] = np.nan
    return matrix


def _frame(matrix: np.ndarray, names: Sequence[str], index: pd.Index) -> pd.DataFrame:
    return pd.DataFrame(matrix.T, columns=list(names), index=index, copy=False)


def compute_views(views: Sequence[ViewSpec], bars: pd.DataFrame) -> pd.DataFrame:
    """All features of ``views`` for one symbol's bars, one float64 column each."""
    plan = plan_for(views)
    matrix = compute_matrix(plan, bar_arrays(bars, plan.bar_inputs))
    return _frame(matrix, plan.names, bars.index)


def compute_view(view: ViewSpec, bars: pd.DataFrame) -> pd.DataFrame:
    """The features of one view for one symbol's bars."""
    return compute_views([view], bars)


def compute_all(bars: pd.DataFrame) -> pd.DataFrame:
    """Every TA-Lib feature of the catalogue for one symbol's bars."""
    return compute_views(talib_views(), bars)
