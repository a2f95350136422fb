"""The annotation queue: candidate items in a chosen order with gold items mixed in; each
annotator gets the first item they have neither labelled nor skipped."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from axiom_features.labeling.events import item_id


def candidate_items(bars: pd.DataFrame, every: int = 5, margin: int = 20) -> list[str]:
    """Every ``every``-th bar of each symbol, leaving ``margin`` bars of context on each side,
    as item ids in time order per symbol."""
    items = []
    for symbol, group in bars.sort_values(["symbol", "event_timestamp"]).groupby("symbol"):
        times = group["event_timestamp"].iloc[margin : len(group) - margin : every]
        items.extend(item_id(symbol, t) for t in times)
    return items


def mix_gold(items: list[str], gold: list[str], every: int = 4) -> list[str]:
    """``items`` with one gold item after every ``every`` regular items (gold items cycle
    until the regular items run out; a gold item already among ``items`` is not repeated)."""
    regular = [i for i in items if i not in set(gold)]
    if not gold:
        return regular
    mixed: list[str] = []
    for position, item in enumerate(regular, start=1):
        mixed.append(item)
        if position % every == 0:
            mixed.append(gold[(position // every - 1) % len(gold)])
    return list(dict.fromkeys(mixed))


def order_by_score(items: list[str], scores: dict[str, float]) -> list[str]:
    """Items by descending score (active learning); unscored items keep their order, last."""
    return sorted(items, key=lambda i: (-scores[i], 0) if i in scores else (0, 1))


@dataclass
class AnnotationQueue:
    items: list[str]
    """In presentation order, gold mixed in."""

    def next_for(self, handled: set[str]) -> str | None:
        return next((i for i in self.items if i not in handled), None)

    def progress(self, handled: set[str]) -> tuple[int, int]:
        return len(handled & set(self.items)), len(self.items)


def handled_by(events: pd.DataFrame, annotator: str) -> set[str]:
    """Items ``annotator`` has labelled or skipped."""
    mine = events[(events["annotator"] == annotator) & events["action"].isin(["label", "skip"])]
    return set(mine["item"])
