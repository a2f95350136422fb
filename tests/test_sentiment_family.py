"""The sentiment family's views and specs, and the shape of what it computes."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from transforms.catalogue import Catalogue, catalogue
from transforms.family import EXTRA_INPUTS, SymbolInputs
from transforms.sentiment import SENTIMENT

DAILY = ["sent_mean", "sent_count", "sent_std", "sent_pos_share", "sent_neg_share",
         "sent_max", "sent_min"]  # fmt: skip
TREND = ["sent_decay_3d", "sent_decay_10d", "sent_mean_5b", "sent_count_5b", "sent_mean_20b",
         "sent_count_20b", "sent_count_z_60b", "sent_days_since"]  # fmt: skip


def test_family_identity() -> None:
    assert SENTIMENT.name == "sentiment"
    assert SENTIMENT.needs == frozenset({"news"}) and SENTIMENT.needs <= EXTRA_INPUTS


def test_views_and_feature_names() -> None:
    views = {v.name: v for v in SENTIMENT.views()}
    assert list(views) == ["sentiment_daily", "sentiment_trend"]
    assert views["sentiment_daily"].feature_names == DAILY
    assert views["sentiment_trend"].feature_names == TREND
    assert all(v.ttl == timedelta(days=7) for v in views.values())


def test_feature_names_are_unique_across_the_catalogue() -> None:
    others = [v for v in catalogue().views.values() if catalogue().family_of(v.name) != "sentiment"]
    Catalogue.of([*others, *SENTIMENT.views()])
    assert not {f.name for v in others for f in v.features} & set(DAILY + TREND)
    assert {"sentiment_daily", "sentiment_trend"} <= set(catalogue().views)


def test_specs_describe_the_computation() -> None:
    specs = {f.name: f for v in SENTIMENT.views() for f in v.features}
    for spec in specs.values():
        assert spec.transform == "sentiment"
        assert spec.version == "sentiment-vader-1"
        assert spec.dtype == "float64"
        assert spec.inputs == ("headline", "published_at")
        assert spec.description
    assert specs["sent_decay_3d"].parameters == {"half_life_days": 3}
    assert specs["sent_mean_20b"].parameters == {"bars": 20}
    warmups = {name: spec.warmup for name, spec in specs.items()}
    assert warmups["sent_mean"] == 1 and warmups["sent_mean_20b"] == 20
    assert warmups["sent_count_z_60b"] == 61 and warmups["sent_decay_10d"] == 0


def _bars(n: int) -> pd.DataFrame:
    times = pd.date_range("2024-01-02 21:00", periods=n, freq="B", tz="UTC")
    return pd.DataFrame({"event_timestamp": times, "close": 1.0}, index=np.arange(100, 100 + n))


def test_compute_gives_one_float_column_per_feature_in_view_order() -> None:
    bars = _bars(80)
    news = pd.DataFrame(
        {"published_at": bars["event_timestamp"].iloc[::3] - pd.Timedelta(hours=2),
         "headline": "AXM wins major contract"}
    )  # fmt: skip
    out = SENTIMENT.compute(SENTIMENT.views(), SymbolInputs("AXM", bars, news=news))
    assert list(out.columns) == DAILY + TREND
    assert out.index.equals(bars.index)
    assert (out.dtypes == np.float64).all()
    specs = [f for v in SENTIMENT.views() for f in v.features]
    for spec in specs:
        assert out[spec.name].iloc[: spec.warmup].isna().all(), spec.name


def test_compute_of_one_view_gives_only_its_features() -> None:
    daily = SENTIMENT.views()[0]
    out = SENTIMENT.compute([daily], SymbolInputs("AXM", _bars(5), news=None))
    assert list(out.columns) == DAILY
    assert out["sent_count"].tolist()[1:] == [0.0] * 4
    assert out["sent_mean"].isna().all()


def test_features_of_another_family_are_refused() -> None:
    with pytest.raises(ValueError, match="not of the sentiment family"):
        SENTIMENT.compute(list(catalogue().views.values())[:1], SymbolInputs("AXM", _bars(3)))
