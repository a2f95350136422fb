"""Point-in-time retrieval through ``FeatureStore.get_historical_features``, on every backend
pair, checked against a brute-force reference and against stock Feast."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from tests.universal import data
from tests.universal.conftest import Backend

FEATURES = ["quotes:bid", "quotes:ask", "signals:score"]


def _assert_same_values(got: pd.DataFrame, want: pd.DataFrame, columns: list[str]) -> None:
    got = got.sort_values("row_id").reset_index(drop=True)
    want = want.sort_values("row_id").reset_index(drop=True)
    assert got["row_id"].tolist() == want["row_id"].tolist()
    assert got["symbol"].tolist() == want["symbol"].tolist()
    for column in columns:
        np.testing.assert_array_equal(
            got[column].to_numpy(dtype=float), want[column].to_numpy(dtype=float), err_msg=column
        )


@pytest.mark.parametrize("full_feature_names", [False, True])
def test_training_rows_equal_the_brute_force_reference(
    backend: Backend, full_feature_names: bool
) -> None:
    entity = data.entity_frame(seed=5, tables=backend.tables)
    got = backend.store.get_historical_features(
        entity_df=entity, features=FEATURES, full_feature_names=full_feature_names
    ).to_df()
    want = data.reference(backend.tables, entity, full_feature_names=full_feature_names)
    names = [c for c in want.columns if c not in entity.columns]
    assert list(got.columns) == list(entity.columns) + names
    _assert_same_values(got, want, names)


def test_the_cases_are_present_in_the_data(backend: Backend) -> None:
    """The reference run above is only as good as the cases it meets."""
    entity = data.entity_frame(seed=5, tables=backend.tables)
    want = data.reference(backend.tables, entity)
    quotes = backend.tables["quotes"]
    assert quotes.duplicated(["symbol", "event_timestamp"]).sum() >= 8  # ties, created wins
    assert want.loc[entity["symbol"] == data.MISSING_SYMBOL, "bid"].isna().all()
    no_ttl = data.reference(backend.tables, entity, (data.ViewSpec("quotes", ("bid",), None),))
    expired = want["bid"].isna() & no_ttl["bid"].notna()
    assert expired.sum() >= 5  # rows only the TTL turns into nulls
    exact = entity["event_timestamp"].isin(quotes["event_timestamp"])
    assert exact.sum() >= 5  # entity times equal to an event time


def test_rows_come_back_in_entity_order_with_their_own_columns(backend: Backend) -> None:
    entity = (
        data.entity_frame(seed=8, tables=backend.tables)
        .sample(frac=1, random_state=3)
        .reset_index(drop=True)
    )
    entity["label"] = np.arange(len(entity)) % 3
    got = backend.store.get_historical_features(entity_df=entity, features=FEATURES).to_df()
    assert got["row_id"].tolist() == entity["row_id"].tolist()
    assert got["label"].tolist() == entity["label"].tolist()
    assert str(got["event_timestamp"].dt.tz) == "UTC"


def test_a_feature_service_returns_what_its_features_return(backend: Backend) -> None:
    entity = data.entity_frame(seed=9, tables=backend.tables)
    service = backend.store.get_feature_service("both")
    by_service = backend.store.get_historical_features(entity_df=entity, features=service).to_df()
    by_list = backend.store.get_historical_features(entity_df=entity, features=FEATURES).to_df()
    pd.testing.assert_frame_equal(by_service, by_list)


def test_arrow_and_pandas_agree_and_unmatched_rows_are_null(backend: Backend) -> None:
    entity = data.entity_frame(seed=10, tables=backend.tables)
    job = backend.store.get_historical_features(entity_df=entity, features=FEATURES)
    table, frame = job.to_arrow(), job.to_df()
    assert isinstance(table, pa.Table) and table.num_rows == len(frame)
    arrow_bid = table.column("bid").to_numpy(zero_copy_only=False)
    np.testing.assert_array_equal(arrow_bid, frame["bid"].to_numpy())
    missing = (entity["symbol"] == data.MISSING_SYMBOL).to_numpy()
    assert missing.sum() > 0
    assert table.column("bid").is_null().to_numpy(zero_copy_only=False)[missing].all()


def test_only_rows_known_at_entity_time_when_asked(backend: Backend) -> None:
    entity = data.entity_frame(seed=12, tables=backend.tables)
    got = backend.store.get_historical_features(
        entity_df=entity, features=FEATURES, filter_by_created_timestamp=True
    ).to_df()
    want = data.reference(backend.tables, entity, known_by_entity_time=True)
    _assert_same_values(got, want, ["bid", "ask", "score"])
    plain = data.reference(backend.tables, entity)
    assert (want["score"].isna() != plain["score"].isna()).sum() > 0  # the filter mattered


def test_the_plugin_equals_stock_feast_on_the_same_request(backend: Backend) -> None:
    # Stock Feast's file store fails on entity rows whose symbol has no data at all, drops
    # entity rows for which a view has no row at or before the entity time (within its TTL),
    # and breaks ties on event time arbitrarily (its sort is not stable). The plugin keeps
    # every entity row (nulls where nothing matched) and picks the latest created row. Values
    # agree wherever both answer and no tie decides.
    entity = data.entity_frame(seed=13, tables=backend.tables, rows=150, with_missing=False)
    ours = backend.store.get_historical_features(entity_df=entity, features=FEATURES).to_df()
    stock = backend.stock.get_historical_features(entity_df=entity, features=FEATURES).to_df()
    assert set(ours.columns) == set(stock.columns)
    assert len(ours) == len(entity)
    if backend.name.startswith("parquet"):
        dropped = ~ours["row_id"].isin(stock["row_id"])
        assert (ours.loc[dropped, "bid"].isna() | ours.loc[dropped, "score"].isna()).all()
    else:
        assert len(stock) == len(entity)
    tie = data.reference(backend.tables, entity, with_ties=True).set_index("row_id")["tie"]
    compared = stock[~tie.loc[stock["row_id"]].to_numpy()]
    assert len(compared) >= len(entity) // 3
    _assert_same_values(
        ours[ours["row_id"].isin(compared["row_id"])],
        compared[ours.columns],
        ["bid", "ask", "score"],
    )
    # stock PostgreSQL keeps entity times to the microsecond, the others as given
    ours_ts = ours.set_index("row_id").loc[stock["row_id"], "event_timestamp"].dt.floor("us")
    stock_ts = pd.to_datetime(stock["event_timestamp"], utc=True).dt.floor("us")
    assert (ours_ts.to_numpy() == stock_ts.to_numpy()).all()
