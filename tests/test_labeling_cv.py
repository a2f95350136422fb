"""Purged cross-validation: the leakage canary, and no training label ever meets a test
label's span or its embargo."""

from __future__ import annotations

from math import comb

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import KFold
from sklearn.neighbors import KNeighborsClassifier

from axiom_features.labeling.purged_cv import CombinatorialPurgedCV, PurgedKFold


def _leaky_series(seed: int, n: int = 600, horizon: int = 10):
    """Labels: the sign of the next ``horizon`` returns (overlapping spans). Features: slow
    random walks independent of the returns, so they only identify *when* a row is."""
    rng = np.random.default_rng(seed)
    path = np.concatenate(([0.0], np.cumsum(rng.standard_normal(n + horizon))))
    y = (path[horizon : horizon + n] > path[:n]).astype(int)
    X = np.cumsum(rng.standard_normal((n, 2)), axis=0)  # noqa: N806
    t0 = np.arange(n)
    return X, y, t0, t0 + horizon


def _mean_auc(splitter, X, y) -> float:  # noqa: ANN001, N803
    scores = []
    for train, test in splitter.split(X):
        model = KNeighborsClassifier(15).fit(X[train], y[train])
        if len(set(y[test])) == 2:
            scores.append(roc_auc_score(y[test], model.predict_proba(X[test])[:, 1]))
    return float(np.mean(scores))


def test_leakage_canary_plain_kfold_scores_while_purged_cv_does_not():
    plain, purged = [], []
    for seed in range(16):
        X, y, t0, t1 = _leaky_series(seed)  # noqa: N806
        plain.append(_mean_auc(KFold(5, shuffle=True, random_state=0), X, y))
        purged.append(_mean_auc(PurgedKFold(5, t0=t0, t1=t1, embargo=5), X, y))
    assert np.mean(plain) >= 0.65
    assert abs(np.mean(purged) - 0.5) <= 0.05


def _overlapping(train, test, t0, t1, embargo) -> bool:  # noqa: ANN001
    a0, a1 = t0[train][:, None], t1[train][:, None]
    b0, b1 = t0[test][None, :], t1[test][None, :] + embargo
    return bool(np.any((a0 <= b1) & (b0 <= a1)))


def test_no_training_label_meets_a_test_span_or_embargo_over_1000_random_configurations():
    rng = np.random.default_rng(2024)
    for _ in range(1000):
        n = int(rng.integers(8, 80))
        t0 = np.sort(rng.integers(0, 200, n)).astype(float)
        t1 = t0 + rng.integers(0, 25, n)
        embargo = float(rng.integers(0, 10))
        if rng.random() < 0.5:
            splitter = PurgedKFold(int(rng.integers(2, min(n, 8) + 1)), t0=t0, t1=t1,
                                   embargo=embargo)  # fmt: skip
        else:
            groups = int(rng.integers(3, min(n, 6) + 1))
            splitter = CombinatorialPurgedCV(groups, int(rng.integers(1, groups)), t0=t0, t1=t1,
                                             embargo=embargo)  # fmt: skip
        for train, test in splitter.split(np.zeros(n)):
            assert len(np.intersect1d(train, test)) == 0
            assert not _overlapping(train, test, t0, t1, embargo)


def test_purging_keeps_every_label_that_does_not_meet_a_test_span():
    t0 = np.arange(20.0)
    t1 = t0 + 2
    (train, test), *_ = PurgedKFold(4, t0=t0, t1=t1, embargo=1).split(np.zeros(20))
    assert test.tolist() == [0, 1, 2, 3, 4]
    assert train.tolist() == list(range(8, 20))  # 5..7 reach back into the test's span + 1


def test_combinatorial_cv_makes_every_choice_of_test_groups_and_counts_paths():
    t0 = pd.date_range("2026-01-01", periods=60, freq="D", tz="UTC")
    t1 = t0 + pd.Timedelta(days=3)
    cv = CombinatorialPurgedCV(6, 2, t0=pd.Series(t0), t1=pd.Series(t1),
                               embargo=pd.Timedelta(days=1))  # fmt: skip
    splits = list(cv.split(np.zeros(60)))
    assert len(splits) == cv.get_n_splits() == comb(6, 2)
    assert cv.n_paths == 5
    tests = [frozenset(test) for _, test in splits]
    assert len(set(tests)) == 15 and all(len(t) == 20 for t in tests)


def test_a_label_ending_before_it_starts_is_refused_with_its_row():
    with pytest.raises(ValueError, match="t1: row 1 ends before it starts"):
        PurgedKFold(2, t0=[0, 5], t1=[1, 4])
