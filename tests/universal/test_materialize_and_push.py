"""Materialization, latest-row pulls and pushes into the offline store, on every backend
pair."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd

from tests.universal import data
from tests.universal.conftest import Backend

SIGNALS = next(v for v in data.VIEWS if v.name == "signals")
START, END = data.START - timedelta(days=1), data.START + timedelta(days=5)


def test_online_features_after_materialize_are_the_latest_offline_rows(
    backend: Backend,
) -> None:
    backend.store.materialize(START, END, feature_views=["signals"])
    rows = [{"symbol": s} for s in [*data.SYMBOLS, data.MISSING_SYMBOL]]
    online = backend.store.get_online_features(features=["signals:score"], entity_rows=rows)
    got = online.to_df().set_index("symbol")["score"]
    want = data.latest(backend.tables, SIGNALS, START, END)["score"]
    np.testing.assert_array_equal(
        got.loc[data.SYMBOLS].to_numpy(dtype=float), want.loc[data.SYMBOLS].to_numpy()
    )
    assert pd.isna(got.loc[data.MISSING_SYMBOL])


def test_latest_pull_returns_one_row_per_symbol_with_the_newest_values(backend: Backend) -> None:
    provider = backend.store._get_provider()
    view = backend.store.get_feature_view("signals")
    source = view.batch_source
    job = provider.offline_store.pull_latest_from_table_or_query(
        config=backend.store.config,
        data_source=source,
        join_key_columns=["symbol"],
        feature_name_columns=["score"],
        timestamp_field="event_timestamp",
        created_timestamp_column="created_timestamp",
        start_date=START,
        end_date=END,
    )
    got = job.to_df().set_index("symbol").sort_index()
    want = data.latest(backend.tables, SIGNALS, START, END).sort_index()
    assert list(got.index) == data.SYMBOLS
    np.testing.assert_array_equal(got["score"].to_numpy(), want["score"].to_numpy())
    assert (pd.to_datetime(got["event_timestamp"], utc=True) == want["event_timestamp"]).all()
    assert (pd.to_datetime(got["created_timestamp"], utc=True) == want["created_timestamp"]).all()


def test_pushed_rows_are_read_back_by_training_retrieval(backend: Backend) -> None:
    later = data.START + timedelta(days=20)
    pushed = pd.DataFrame(
        {
            "symbol": ["S0", "S1", "PUSHED"],
            "event_timestamp": [later, later, later],
            "created_timestamp": [later + timedelta(minutes=1)] * 3,
            "score": [1.25, -2.5, 7.0],
        }
    )
    backend.store.write_to_offline_store("signals", pushed)
    entity = pd.DataFrame(
        {
            "symbol": ["S0", "S1", "PUSHED", "S0"],
            "event_timestamp": [later + timedelta(hours=1)] * 3 + [later - timedelta(hours=1)],
        }
    )
    got = backend.store.get_historical_features(entity_df=entity, features=["signals:score"])
    scores = got.to_df()["score"].tolist()
    before = data.reference(backend.tables, entity.iloc[[3]], (SIGNALS,))["score"].item()
    assert scores[:3] == [1.25, -2.5, 7.0]
    np.testing.assert_equal(scores[3], before)  # older rows still answer older times
