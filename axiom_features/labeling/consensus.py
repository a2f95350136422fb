"""Consensus labels from many annotators: majority vote and Dawid–Skene, and the items whose
agreement is too low to trust (the adjudication queue)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def _votes(labels: pd.DataFrame, classes: list[int]) -> tuple[list[str], list[str], np.ndarray]:
    """Items, annotators and an items × annotators × classes one-hot array of votes."""
    items = sorted(labels["item"].unique())
    annotators = sorted(labels["annotator"].unique())
    item_at = {v: i for i, v in enumerate(items)}
    who_at = {v: i for i, v in enumerate(annotators)}
    class_at = {v: i for i, v in enumerate(classes)}
    unknown = set(labels["value"].astype(int)) - set(classes)
    if unknown:
        raise ValueError(f"value: {sorted(unknown)} not among the schema's classes {classes}")
    votes = np.zeros((len(items), len(annotators), len(classes)))
    votes[
        labels["item"].map(item_at).to_numpy(),
        labels["annotator"].map(who_at).to_numpy(),
        labels["value"].astype(int).map(class_at).to_numpy(),
    ] = 1.0
    return items, annotators, votes


def majority_vote(labels: pd.DataFrame, classes: list[int]) -> pd.DataFrame:
    """Per item: the most chosen class (ties go to the class listed first), its vote share
    and the number of votes."""
    items, _, votes = _votes(labels, classes)
    counts = votes.sum(axis=1)
    best = counts.argmax(axis=1)
    total = counts.sum(axis=1)
    return pd.DataFrame(
        {
            "item": items,
            "value": np.asarray(classes)[best],
            "support": counts[np.arange(len(items)), best] / np.maximum(total, 1),
            "votes": total.astype(int),
        }
    )


def dawid_skene(
    labels: pd.DataFrame, classes: list[int], iterations: int = 50, tol: float = 1e-6
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Dawid–Skene EM: per item the most probable class and its posterior; per annotator
    the estimated confusion matrix (true class × given class). Starts from majority vote."""
    items, annotators, votes = _votes(labels, classes)
    posterior = votes.sum(axis=1) + 1e-9
    posterior /= posterior.sum(axis=1, keepdims=True)
    for _ in range(iterations):
        prior = posterior.mean(axis=0)
        # confusion[a, true, given] from soft counts, smoothed
        confusion = np.einsum("it,iag->atg", posterior, votes) + 0.01
        confusion /= confusion.sum(axis=2, keepdims=True)
        log_like = np.einsum("iag,atg->it", votes, np.log(confusion)) + np.log(prior)
        log_like -= log_like.max(axis=1, keepdims=True)
        updated = np.exp(log_like)
        updated /= updated.sum(axis=1, keepdims=True)
        change = np.abs(updated - posterior).max()
        posterior = updated
        if change < tol:
            break
    best = posterior.argmax(axis=1)
    result = pd.DataFrame(
        {
            "item": items,
            "value": np.asarray(classes)[best],
            "posterior": posterior[np.arange(len(items)), best],
            "votes": votes.sum(axis=(1, 2)).astype(int),
        }
    )
    return result, dict(zip(annotators, confusion, strict=True))


def adjudication_queue(
    labels: pd.DataFrame, classes: list[int], min_support: float = 0.7, min_votes: int = 2
) -> pd.DataFrame:
    """Items with at least ``min_votes`` votes whose majority share is below
    ``min_support``, least agreed first."""
    vote = majority_vote(labels, classes)
    low = vote[(vote["votes"] >= min_votes) & (vote["support"] < min_support)]
    return low.sort_values(["support", "item"]).reset_index(drop=True)
