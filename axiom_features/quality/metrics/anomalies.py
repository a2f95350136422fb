"""Anomalies in the stored metric series, as Deequ detects them.

Two strategies, each run per metric over the series in time order:

- ``rate_of_change``: |vₜ − vₜ₋₁| above ``max_change`` (ratios: 0.10; score: 10 points;
  rows_in: half of the previous value).
- ``rolling_band``: vₜ outside mean ± k·σ of the previous ``window`` values (k = 3,
  window = 10, at least 5 values; σ is floored at ``min_sigma`` — 0.005 for ratios, 0.5
  for the score, 1% of the mean for rows_in — so a perfectly flat history does not flag noise).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

ANOMALY_COLUMNS = ("run_id", "measured_at", "metric", "value", "method", "lower", "upper")


@dataclass(frozen=True)
class MetricRule:
    max_change: float
    min_sigma: float
    relative: bool = False
    """Thresholds are shares of the previous value / mean instead of absolute units."""


RATIO = MetricRule(max_change=0.10, min_sigma=0.005)
METRIC_RULES: dict[str, MetricRule] = {
    "completeness": RATIO,
    "consistency": RATIO,
    "uniqueness": RATIO,
    "timeliness": RATIO,
    "accuracy": RATIO,
    "score": MetricRule(max_change=10.0, min_sigma=0.5),
    "rows_in": MetricRule(max_change=0.5, min_sigma=0.01, relative=True),
}


def detect_metric_anomalies(
    series: pd.DataFrame, *, window: int = 10, k: float = 3.0, min_history: int = 5
) -> pd.DataFrame:
    """Every anomaly found in ``series`` (a :class:`MetricStore` frame), oldest first."""
    found: list[dict[str, object]] = []
    for metric, rule in METRIC_RULES.items():
        if metric not in series:
            continue
        values = pd.to_numeric(series[metric], errors="coerce").to_numpy(dtype=np.float64)
        for t in range(1, len(values)):
            v = values[t]
            if np.isnan(v):
                continue
            history = values[max(0, t - window) : t]
            history = history[~np.isnan(history)]
            if len(history):
                prev = history[-1]
                limit = rule.max_change * (abs(prev) if rule.relative else 1.0)
                if abs(v - prev) > limit:
                    found.append(_row(series, t, metric, v, "rate_of_change", prev - limit,
                                      prev + limit))  # fmt: skip
            if len(history) >= min_history:
                mean = float(history.mean())
                floor = rule.min_sigma * (abs(mean) if rule.relative else 1.0)
                sigma = max(float(history.std(ddof=1)), floor)
                lower, upper = mean - k * sigma, mean + k * sigma
                if not lower <= v <= upper:
                    found.append(_row(series, t, metric, v, "rolling_band", lower, upper))
    frame = pd.DataFrame(found, columns=list(ANOMALY_COLUMNS))
    return frame.sort_values(["measured_at", "metric", "method"], kind="stable").reset_index(
        drop=True
    )


def _row(series: pd.DataFrame, t: int, metric: str, value: float, method: str, lo, hi):  # noqa: ANN001, ANN202
    return {
        "run_id": series["run_id"].iloc[t],
        "measured_at": series["measured_at"].iloc[t],
        "metric": metric,
        "value": float(value),
        "method": method,
        "lower": round(float(lo), 6),
        "upper": round(float(hi), 6),
    }
