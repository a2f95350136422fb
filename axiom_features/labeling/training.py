"""Training sets through Feast: features at each label's start ``t0``, labels from a pinned
version, and only labels whose end ``t1`` is at or before the training cut-off."""

from __future__ import annotations

import pandas as pd


def entity_rows(labels: pd.DataFrame) -> pd.DataFrame:
    """One Feast entity row per label: ``symbol`` at ``t0`` (microseconds, UTC)."""
    t0 = pd.to_datetime(labels["t0"], utc=True).dt.floor("us").astype("datetime64[us, UTC]")
    return pd.DataFrame({"symbol": labels["symbol"].to_numpy(), "event_timestamp": t0.to_numpy()})


def training_set(
    store,  # noqa: ANN001 - feast.FeatureStore
    labels: pd.DataFrame,
    features: list[str],
    as_of: pd.Timestamp,
) -> pd.DataFrame:
    """Features from ``get_historical_features`` at each label's ``t0`` beside the label,
    keeping only labels knowable at ``as_of`` (``t1 <= as_of``)."""
    known = labels[pd.to_datetime(labels["t1"], utc=True) <= pd.Timestamp(as_of)]
    known = known.reset_index(drop=True)
    rows = entity_rows(known)
    rows["row"] = range(len(rows))
    frame = store.get_historical_features(rows, features).to_df().sort_values("row")
    frame = frame.reset_index(drop=True)
    for column in ("t0", "t1", "label", "weight"):
        if column in known.columns:
            frame[column] = known[column].to_numpy()
    return frame.drop(columns="row")


def active_scores(
    store,  # noqa: ANN001 - feast.FeatureStore
    items: list[str],
    labelled: pd.DataFrame,
    features: list[str],
    strategy: str = "margin",
) -> dict[str, float]:
    """Informativeness of each unlabelled item for a model trained on the labelled items
    (``item, value``), with features from ``get_historical_features`` at each item's time."""
    from axiom_features.labeling.active import informativeness
    from axiom_features.labeling.events import parse_item

    parsed = [parse_item(i) for i in items]
    rows = pd.DataFrame({"symbol": [p[0] for p in parsed], "t0": [p[1] for p in parsed]})
    frame = store.get_historical_features(entity_rows(rows), features).to_df()
    names = [f.split(":", 1)[1] for f in features]
    frame.index = [
        f"{s}@{pd.Timestamp(t).tz_convert('UTC').isoformat()}"
        for s, t in zip(frame["symbol"], frame["event_timestamp"], strict=True)
    ]
    frame = frame[~frame.index.duplicated()]
    X = frame[names].astype("float64")  # noqa: N806
    usable = X.notna().all(axis=1)
    answers = labelled.drop_duplicates("item", keep="last").set_index("item")["value"]
    train = [i for i in answers.index if i in X.index and usable[i]]
    pool = [i for i in items if i in X.index and usable[i] and i not in answers.index]
    if len({int(answers[i]) for i in train}) < 2 or not pool:
        return {}
    scores = informativeness(
        X.loc[train].to_numpy(), answers[train].astype(int).to_numpy(), X.loc[pool].to_numpy(),
        strategy,  # type: ignore[arg-type]
    )  # fmt: skip
    return dict(zip(pool, scores.tolist(), strict=True))
