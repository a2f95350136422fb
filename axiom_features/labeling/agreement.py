"""Agreement between annotators: Cohen's kappa (scikit-learn), Fleiss' kappa (statsmodels),
Krippendorff's alpha (``krippendorff``), with bootstrap confidence intervals over items."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import combinations
from typing import Literal

import krippendorff
import numpy as np
import pandas as pd
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters
from statsmodels.stats.inter_rater import fleiss_kappa as _fleiss

Level = Literal["nominal", "ordinal", "interval", "ratio"]


def reliability_matrix(labels: pd.DataFrame) -> pd.DataFrame:
    """Annotators × items of values (NaN where an annotator did not label an item), from a
    frame with ``item, annotator, value``."""
    table = labels.pivot_table(index="annotator", columns="item", values="value", aggfunc="last")
    return table.astype("float64")


def cohen_kappa(a, b, weights: Literal["linear", "quadratic"] | None = None) -> float:  # noqa: ANN001
    """Cohen's kappa of two annotators' labels on the same items (weighted for ordinal)."""
    return float(cohen_kappa_score(np.asarray(a), np.asarray(b), weights=weights))


def fleiss_kappa(ratings: np.ndarray) -> float:
    """Fleiss' kappa of items × raters ratings (every item rated by the same number)."""
    counts, _ = aggregate_raters(np.asarray(ratings))
    return fleiss_kappa_of_counts(counts)


def fleiss_kappa_of_counts(counts: np.ndarray) -> float:
    """Fleiss' kappa of an items × categories table of how many raters chose each."""
    return float(_fleiss(np.asarray(counts), method="fleiss"))


def krippendorff_alpha(matrix: np.ndarray, level: Level = "nominal") -> float:
    """Krippendorff's alpha of annotators × items values (NaN = missing)."""
    return float(
        krippendorff.alpha(reliability_data=np.asarray(matrix, float), level_of_measurement=level)
    )


@dataclass(frozen=True)
class Estimate:
    value: float
    low: float
    high: float

    def to_json(self) -> dict:
        return {"value": round(self.value, 4), "ci95": [round(self.low, 4), round(self.high, 4)]}


def bootstrap(
    statistic: Callable[[np.ndarray], float],
    matrix: np.ndarray,
    samples: int = 500,
    seed: int = 0,
    confidence: float = 0.95,
) -> Estimate:
    """``statistic`` of annotators × items ``matrix`` with a percentile interval from
    resampling items with replacement (resamples where it is undefined are dropped)."""
    matrix = np.asarray(matrix, float)
    rng = np.random.default_rng(seed)
    items = matrix.shape[1]
    values = []
    for _ in range(samples):
        pick = rng.integers(0, items, items)
        with np.errstate(all="ignore"):
            try:
                value = statistic(matrix[:, pick])
            except (ValueError, ZeroDivisionError):
                continue
        if np.isfinite(value):
            values.append(value)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail]) if values else (np.nan, np.nan)
    return Estimate(statistic(matrix), float(low), float(high))


def _complete_items(matrix: np.ndarray) -> np.ndarray:
    """Items (columns) rated by every annotator."""
    return matrix[:, ~np.isnan(matrix).any(axis=0)]


def pairwise_cohen(matrix: pd.DataFrame, weights=None) -> dict[str, float]:  # noqa: ANN001
    """Cohen's kappa for every pair of annotators over the items both labelled."""
    out = {}
    for a, b in combinations(matrix.index, 2):
        both = matrix.loc[[a, b]].dropna(axis=1)
        if both.shape[1] >= 2:
            out[f"{a}|{b}"] = cohen_kappa(both.loc[a], both.loc[b], weights)
    return out


def agreement_summary(
    labels: pd.DataFrame, level: Level = "nominal", samples: int = 500, seed: int = 0
) -> dict:
    """Krippendorff's alpha (all items), Fleiss' kappa (items every annotator labelled) and
    pairwise Cohen's kappa, with 95% bootstrap intervals for the first two."""
    matrix = reliability_matrix(labels)
    data = matrix.to_numpy()
    weights = "quadratic" if level in ("ordinal", "interval", "ratio") else None
    summary: dict = {
        "annotators": len(matrix.index),
        "items": len(matrix.columns),
        "level": level,
        "krippendorff_alpha": bootstrap(
            lambda m: krippendorff_alpha(m, level), data, samples, seed
        ).to_json(),
    }
    complete = _complete_items(data)
    if complete.shape[1] >= 2 and complete.shape[0] >= 2:
        summary["fleiss_kappa"] = bootstrap(
            lambda m: fleiss_kappa(m.T), complete, samples, seed
        ).to_json()
        summary["fleiss_items"] = int(complete.shape[1])
    summary["cohen_kappa"] = {k: round(v, 4) for k, v in pairwise_cohen(matrix, weights).items()}
    return summary
