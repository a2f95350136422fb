"""Consensus and annotator quality: majority vote, Dawid–Skene beating it on annotators of
mixed skill, gold-item accuracy, and the adjudication queue."""

from __future__ import annotations

import numpy as np
import pandas as pd

from axiom_features.labeling.consensus import adjudication_queue, dawid_skene, majority_vote
from axiom_features.labeling.gold import gold_accuracy
from axiom_features.synthetic.annotators import simulate_annotations

ROWS = [("i1", "a", 1), ("i1", "b", 1), ("i1", "c", 0),
        ("i2", "a", 0), ("i2", "b", 1), ("i2", "c", 2),
        ("i3", "a", 2), ("i3", "b", 2), ("i3", "c", 2)]  # fmt: skip
LABELS = pd.DataFrame(ROWS, columns=["item", "annotator", "value"])


def test_majority_vote_picks_the_most_chosen_class_with_its_share():
    vote = majority_vote(LABELS, [0, 1, 2]).set_index("item")
    assert vote.loc["i1", "value"] == 1 and vote.loc["i1", "support"] == 2 / 3
    assert vote.loc["i3", "support"] == 1.0
    assert vote.loc["i2", "value"] == 0  # a three-way tie goes to the first class


def test_dawid_skene_beats_majority_vote_when_few_annotators_are_good():
    truth = np.random.default_rng(1).integers(0, 3, 600)
    skills = [0.9, 0.85, 0.8, 0.45, 0.4, 0.4, 0.4, 0.35, 0.35, 0.35]
    labels = simulate_annotations(truth, skills, [0, 1, 2], per_item=5, seed=1)
    answer = pd.Series(truth, index=[f"item{i:05d}" for i in range(600)])
    vote = majority_vote(labels, [0, 1, 2])
    ds, confusion = dawid_skene(labels, [0, 1, 2])
    majority_acc = (vote["value"].to_numpy() == answer[vote["item"]].to_numpy()).mean()
    ds_acc = (ds["value"].to_numpy() == answer[ds["item"]].to_numpy()).mean()
    assert ds_acc - majority_acc >= 0.03
    diagonal = {who: float(np.trace(m) / 3) for who, m in confusion.items()}
    assert diagonal["annotator00"] > 0.8 > 0.6 > diagonal["annotator09"]


def test_gold_accuracy_counts_each_annotators_answers_on_gold_items():
    table = gold_accuracy(LABELS, {"i1": 1, "i3": 2}).set_index("annotator")
    assert table.loc["a", "accuracy"] == 1.0 and table.loc["c", "accuracy"] == 0.5
    assert table["gold_items"].tolist() == [2, 2, 2]


def test_low_agreement_items_are_queued_for_adjudication_least_agreed_first():
    queue = adjudication_queue(LABELS, [0, 1, 2], min_support=0.7)
    assert queue["item"].tolist() == ["i2", "i1"]
