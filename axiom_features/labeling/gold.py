"""Gold items: each annotator's accuracy on items whose answer is known."""

from __future__ import annotations

import pandas as pd


def gold_accuracy(labels: pd.DataFrame, answers: dict[str, int]) -> pd.DataFrame:
    """Per annotator: gold items labelled, correct, and accuracy (from ``item, annotator,
    value`` labels and the schema's gold answers)."""
    gold = labels[labels["item"].isin(answers)]
    correct = gold["value"].astype("int64") == gold["item"].map(answers).astype("int64")
    table = (
        pd.DataFrame({"annotator": gold["annotator"], "correct": correct.to_numpy()})
        .groupby("annotator")["correct"]
        .agg(gold_items="size", correct="sum")
    )
    table["accuracy"] = table["correct"] / table["gold_items"]
    return table.reset_index()
