"""Active learning: the scores rank what a model is unsure about, and margin sampling needs
fewer labels than random sampling on a regime task with a known answer."""

from __future__ import annotations

import numpy as np
import pytest

from axiom_features.labeling.active import (
    entropy,
    informativeness,
    least_confidence,
    margin,
    query,
    vote_entropy,
)
from axiom_features.labeling.queue import mix_gold, order_by_score
from bench.labeling import labels_needed

PROBA = np.array([[0.9, 0.05, 0.05], [0.4, 0.35, 0.25], [0.5, 0.5, 0.0], [1 / 3, 1 / 3, 1 / 3]])


def test_scores_rank_confident_rows_last():
    assert np.argmin(least_confidence(PROBA)) == 0
    assert np.argmax(margin(PROBA)) == 2  # the two best classes tie
    assert np.argmax(entropy(PROBA)) == 3
    agreed, split = vote_entropy(np.array([[0, 1], [0, 2], [0, 0]]), np.array([0, 1, 2]))
    assert agreed == pytest.approx(0, abs=1e-9) and split == pytest.approx(np.log(3))


@pytest.mark.parametrize("strategy", ["uncertainty", "margin", "entropy", "committee"])
def test_every_strategy_asks_about_points_near_the_boundary(strategy):
    rng = np.random.default_rng(0)
    X = rng.normal(0, 1, (200, 2))  # noqa: N806
    y = (X[:, 0] + rng.normal(0, 0.5, 200) > 0).astype(int)  # a noisy boundary at x = 0
    pool = np.array([[0.01, 0.0], [5.0, 0.0], [-5.0, 0.0], [0.02, 1.0]])
    picked = query(X, y, pool, batch=2, strategy=strategy)
    assert set(picked) == {0, 3}
    assert len(informativeness(X, y, pool, strategy)) == 4


def test_margin_sampling_reaches_full_pool_accuracy_with_far_fewer_labels():
    fraction, _ = labels_needed(seed=2)
    assert fraction <= 0.7


def test_the_queue_follows_the_scores_and_keeps_gold_mixed_in():
    ordered = order_by_score(["a", "b", "c", "d"], {"b": 0.9, "d": 0.5, "a": 0.1})
    assert ordered == ["b", "d", "a", "c"]
    assert mix_gold(ordered, ["g"], every=2) == ["b", "d", "g", "a", "c"]
