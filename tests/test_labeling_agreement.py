"""Agreement statistics reproduce published reference values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score

from axiom_features.labeling.agreement import (
    agreement_summary,
    bootstrap,
    cohen_kappa,
    fleiss_kappa,
    fleiss_kappa_of_counts,
    krippendorff_alpha,
)

N = np.nan
# The krippendorff package's own example (README / docstring): nominal 0.691, interval 0.811.
PACKAGE_EXAMPLE = [
    [N, N, N, N, N, 3, 4, 1, 2, 1, 1, 3, 3, N, 3],
    [1, N, 2, 1, 3, 3, 4, 3, N, N, N, N, N, N, N],
    [N, N, 2, 1, 3, 4, 4, N, 2, 1, 1, 3, 3, N, 4],
]
# Krippendorff (2011), "Computing Krippendorff's alpha-reliability": 4 coders, 12 units.
PAPER_EXAMPLE = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],
    [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N],
]
# Fleiss (1971) as on Wikipedia: 10 subjects, 14 raters, 5 categories; kappa = 0.210.
FLEISS_COUNTS = np.array([
    [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7],
])  # fmt: skip


@pytest.mark.parametrize(("level", "expected"), [("nominal", 0.691), ("interval", 0.811)])
def test_krippendorff_alpha_matches_the_package_example(level, expected):
    assert krippendorff_alpha(PACKAGE_EXAMPLE, level) == pytest.approx(expected, abs=5e-4)


@pytest.mark.parametrize(
    ("level", "expected"),
    [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)],
)
def test_krippendorff_alpha_matches_the_published_four_coder_example(level, expected):
    assert krippendorff_alpha(PAPER_EXAMPLE, level) == pytest.approx(expected, abs=5e-4)


def test_fleiss_kappa_matches_the_fleiss_1971_example():
    assert fleiss_kappa_of_counts(FLEISS_COUNTS) == pytest.approx(0.210, abs=5e-4)


def test_fleiss_kappa_from_raw_ratings_equals_the_counts_table():
    ratings = np.array([np.repeat(np.arange(5), row) for row in FLEISS_COUNTS])
    assert fleiss_kappa(ratings) == pytest.approx(0.20993, abs=1e-5)


def _kappa_by_hand(a: np.ndarray, b: np.ndarray, weights: str | None) -> float:
    classes = np.union1d(a, b)
    k = len(classes)
    observed = np.zeros((k, k))
    np.add.at(observed, (np.searchsorted(classes, a), np.searchsorted(classes, b)), 1)
    observed /= observed.sum()
    expected = np.outer(observed.sum(1), observed.sum(0))
    i, j = np.meshgrid(range(k), range(k), indexing="ij")
    w = {None: (i != j).astype(float), "linear": np.abs(i - j), "quadratic": (i - j) ** 2}[weights]
    return 1 - (w * observed).sum() / (w * expected).sum()


@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
def test_cohen_kappa_equals_scikit_learn_and_the_textbook_formula_on_random_pairs(weights):
    rng = np.random.default_rng(11)
    for _ in range(50):
        a = rng.integers(0, 4, 60)
        b = np.where(rng.random(60) < 0.6, a, rng.integers(0, 4, 60))
        ours = cohen_kappa(a, b, weights)
        assert ours == pytest.approx(cohen_kappa_score(a, b, weights=weights), abs=1e-12)
        assert ours == pytest.approx(_kappa_by_hand(a, b, weights), abs=1e-9)


def test_bootstrap_interval_brackets_the_estimate_and_narrows_with_more_items():
    rng = np.random.default_rng(3)

    def matrix(items: int) -> np.ndarray:
        truth = rng.integers(0, 3, items)
        noisy = [np.where(rng.random(items) < 0.8, truth, rng.integers(0, 3, items)) for _ in "abc"]
        return np.array(noisy, dtype=float)

    small = bootstrap(lambda m: krippendorff_alpha(m), matrix(40), samples=300)
    large = bootstrap(lambda m: krippendorff_alpha(m), matrix(400), samples=300)
    assert small.low <= small.value <= small.high
    assert large.low <= large.value <= large.high
    assert large.high - large.low < small.high - small.low


def test_summary_reports_alpha_fleiss_and_pairwise_cohen_from_label_rows():
    rows = [(f"i{j}", who, int(v)) for who, values in zip("abc", np.array(PAPER_EXAMPLE)[:3],
            strict=True) for j, v in enumerate(values) if not np.isnan(v)]  # fmt: skip
    labels = pd.DataFrame(rows, columns=["item", "annotator", "value"])
    summary = agreement_summary(labels, "nominal", samples=100)
    assert summary["annotators"] == 3
    expected = krippendorff_alpha(np.array(PAPER_EXAMPLE)[:3], "nominal")
    assert summary["krippendorff_alpha"]["value"] == pytest.approx(expected, abs=1e-4)
    assert set(summary["cohen_kappa"]) == {"a|b", "a|c", "b|c"}
    assert summary["fleiss_items"] == 8
