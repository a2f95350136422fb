"""Active learning: which unlabelled items a model learns most from, by uncertainty, margin,
entropy or query-by-committee, with scikit-learn models."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np
from sklearn.base import ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

Strategy = Literal["uncertainty", "margin", "entropy", "committee", "random"]
STRATEGIES: tuple[str, ...] = ("uncertainty", "margin", "entropy", "committee", "random")


def default_model() -> ClassifierMixin:
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))


def least_confidence(proba: np.ndarray) -> np.ndarray:
    """1 − the top class probability."""
    return 1.0 - proba.max(axis=1)


def margin(proba: np.ndarray) -> np.ndarray:
    """1 − (top − second probability): near 1 when the two best classes tie."""
    if proba.shape[1] < 2:
        return np.zeros(len(proba))
    top2 = np.sort(proba, axis=1)[:, -2:]
    return 1.0 - (top2[:, 1] - top2[:, 0])


def entropy(proba: np.ndarray) -> np.ndarray:
    """Shannon entropy of the predicted distribution."""
    p = np.clip(proba, 1e-12, 1.0)
    return -(p * np.log(p)).sum(axis=1)


def vote_entropy(votes: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Entropy of a committee's hard votes (members × items) per item."""
    shares = np.stack([(votes == c).mean(axis=0) for c in classes], axis=1)
    return entropy(shares)


def _committee_scores(model, X, y, pool, members: int, seed: int) -> np.ndarray:  # noqa: ANN001
    rng = np.random.default_rng(seed)
    classes = np.unique(y)
    votes = []
    for _ in range(members):
        pick = rng.integers(0, len(y), len(y))
        while len(np.unique(y[pick])) < len(classes):
            pick = rng.integers(0, len(y), len(y))
        votes.append(clone(model).fit(X[pick], y[pick]).predict(pool))
    return vote_entropy(np.asarray(votes), classes)


SCORES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "uncertainty": least_confidence,
    "margin": margin,
    "entropy": entropy,
}


def informativeness(
    X: np.ndarray,  # noqa: N803
    y: np.ndarray,
    pool: np.ndarray,
    strategy: Strategy = "margin",
    model: ClassifierMixin | None = None,
    members: int = 5,
    seed: int = 0,
) -> np.ndarray:
    """Per pool row, how much labelling it should teach a model trained on ``X``/``y``
    (higher first); ``random`` gives random scores."""
    model = model if model is not None else default_model()
    if strategy == "random":
        return np.random.default_rng(seed).random(len(pool))
    if strategy == "committee":
        return _committee_scores(model, X, y, pool, members, seed)
    if strategy not in SCORES:
        raise ValueError(f"strategy: unknown '{strategy}'; known: {', '.join(STRATEGIES)}")
    return SCORES[strategy](clone(model).fit(X, y).predict_proba(pool))


def query(
    X: np.ndarray,  # noqa: N803
    y: np.ndarray,
    pool: np.ndarray,
    batch: int,
    strategy: Strategy = "margin",
    model: ClassifierMixin | None = None,
    seed: int = 0,
) -> np.ndarray:
    """Positions in ``pool`` of the ``batch`` most informative rows, most informative first."""
    scores = informativeness(X, y, pool, strategy, model, seed=seed)
    return np.argsort(-scores, kind="stable")[:batch]
