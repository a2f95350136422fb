"""Check that two whylogs profiles describe the same data, sketch error aside.

Exact: column set, counts (n, null, nan, inf, true), type counts, integer min/max,
distribution n/min/max. Mean and stddev: equal to 1e-9 relative (row-partition merges
reorder the arithmetic). Quantiles: each quantile of ``actual`` has, in ``expected``'s KLL
sketch, a rank within twice the sketch's rank error of the requested fraction. Cardinality:
``actual``'s estimate inside ``expected``'s 3-sigma bounds. Frequent items: the same items
when ``expected`` counted them exactly, otherwise shared items inside ``expected``'s bounds.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from monitoring.whylogs_compat import ColumnProfileView, ProfileView

QUANTILES = (0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99)
_EXACT_METRICS = ("counts", "types", "ints")


def profile_differences(expected: ProfileView, actual: ProfileView) -> list[str]:
    """Every way ``actual`` disagrees with ``expected`` beyond sketch error; empty if none."""
    exp_cols, act_cols = expected.get_columns(), actual.get_columns()
    if set(exp_cols) != set(act_cols):
        return [f"columns differ: {sorted(set(exp_cols) ^ set(act_cols))}"]
    problems: list[str] = []
    for name in exp_cols:
        problems += [f"{name}: {p}" for p in _column_differences(exp_cols[name], act_cols[name])]
    return problems


def _column_differences(exp: ColumnProfileView, act: ColumnProfileView) -> list[str]:
    if sorted(exp.get_metric_names()) != sorted(act.get_metric_names()):
        return [f"metrics {exp.get_metric_names()} != {act.get_metric_names()}"]
    problems = []
    for name in exp.get_metric_names():
        e, a = exp.get_metric(name), act.get_metric(name)
        if name in _EXACT_METRICS:
            d, f = e.to_summary_dict(), a.to_summary_dict()
            problems += [f"{name}/{k} {d[k]} != {f[k]}" for k in d if not _same(d[k], f[k])]
        elif name in _SKETCH_CHECKS:
            problems += _SKETCH_CHECKS[name](e, a)
    return problems


def _distribution_differences(exp: Any, act: Any) -> list[str]:
    problems = [
        f"distribution/{k} {getattr(exp, k)} != {getattr(act, k)}"
        for k in ("n", "min", "max")
        if not _same(getattr(exp, k), getattr(act, k))
    ]
    problems += [
        f"distribution/{k} {getattr(exp, k)} !~ {getattr(act, k)}"
        for k in ("avg", "stddev")
        if not _same(getattr(exp, k), getattr(act, k), rel_tol=1e-9)
    ]
    if exp.n == 0 or act.n == 0:
        return problems
    exp_kll, act_kll = exp.kll.value, act.kll.value
    tolerance = 2 * exp_kll.normalized_rank_error(False) + 1 / exp.n
    for q, value in zip(QUANTILES, act_kll.get_quantiles(list(QUANTILES)), strict=True):
        below, through = exp_kll.get_rank(value), exp_kll.get_rank(value, True)
        if not below - tolerance <= q <= through + tolerance:
            problems.append(f"distribution q={q}: {value} has rank [{below}, {through}]")
    return problems


def _cardinality_differences(exp: Any, act: Any) -> list[str]:
    exp_hll, estimate = exp.hll.value, act.hll.value.get_estimate()
    low, high = exp_hll.get_lower_bound(3), exp_hll.get_upper_bound(3)
    if low <= estimate <= high or _same(exp_hll.get_estimate(), estimate):
        return []
    return [f"cardinality {estimate} outside [{low}, {high}]"]


def _frequent_items_differences(exp: Any, act: Any) -> list[str]:
    exp_items = {i.value: i for i in exp.to_summary_dict()["frequent_strings"]}
    act_items = {i.value: i for i in act.to_summary_dict()["frequent_strings"]}
    exact = all(i.lower == i.upper for i in exp_items.values())
    if exact and set(exp_items) != set(act_items):
        return [f"frequent items {sorted(set(exp_items) ^ set(act_items))[:5]} differ"]
    return [
        f"frequent item {v!r}: {act_items[v].est} outside [{i.lower}, {i.upper}]"
        for v, i in exp_items.items()
        if v in act_items and not i.lower <= act_items[v].est <= i.upper
    ]


def _same(a: Any, b: Any, rel_tol: float = 0.0) -> bool:
    if a is None or b is None:
        return a is b
    if a == b:
        return True
    a, b = float(a), float(b)
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return rel_tol > 0 and math.isclose(a, b, rel_tol=rel_tol, abs_tol=1e-12)


_SKETCH_CHECKS: dict[str, Callable[[Any, Any], list[str]]] = {
    "distribution": _distribution_differences,
    "cardinality": _cardinality_differences,
    "frequent_items": _frequent_items_differences,
}
