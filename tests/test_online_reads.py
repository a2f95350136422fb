"""The platform's online reads return exactly what stock Feast returns for the same request.

One Redis database is materialized once; stock Feast (Feast's Redis store) and the platform
(its bulk-reading store, its Python API and its HTTP server) then read it with the same
requests: one entity, many entities with duplicates and an unknown symbol, a feature
service over views with and without data, full feature names.
"""

from __future__ import annotations

import json
import os
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator

import pandas as pd
import pytest
import uvicorn
from feast.feature_server_utils import convert_response_to_dict

from axiom_features.materialize.fast_engine import ENGINE_TYPE
from axiom_features.online import fast_read
from axiom_features.online.read_result import FastOnlineResponse
from axiom_features.online.server import create_app
from tests.conftest import copy_feature_repo
from tests.online_fixtures import (
    END,
    SYMBOLS,
    VIEWS,
    feature_names,
    open_yaml,
    write_offline_tables,
    write_yaml,
)
from tests.services import free_port

pytestmark = pytest.mark.redis

OVERLAP, VOLUME = feature_names("ta_overlap"), feature_names("ta_volume")

REQUESTS = {
    "one_entity_one_view": (
        [f"ta_overlap:{n}" for n in OVERLAP[:12]],
        [{"symbol": "CCC"}],
        False,
    ),
    "many_entities_two_views": (
        [f"ta_overlap:{n}" for n in OVERLAP] + [f"ta_volume:{n}" for n in VOLUME],
        [{"symbol": s} for s in [*SYMBOLS, "ZZZ", "AAA", "BBB", "AAA"]],
        False,
    ),
    "columnar_entities_full_names": (
        [f"ta_volume:{n}" for n in VOLUME[:5]] + [f"ta_overlap:{n}" for n in OVERLAP[3:9]],
        {"symbol": ["EEE", "AAA", "QQQ"]},
        True,
    ),
}


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[tuple]:
    """(stock, platform) stores over one materialized Redis database."""
    cwd = os.getcwd()
    project = f"r{uuid.uuid4().hex[:10]}"
    root = copy_feature_repo(tmp_path_factory.mktemp("reads") / "repo", project=project)
    os.chdir(root)
    try:
        write_offline_tables(root)
        fast = open_yaml(
            root, write_yaml(root, "fast", project=project, redis_url=redis_url, engine=ENGINE_TYPE)
        )
        fast.materialize(start_date=END.replace(year=2025), end_date=END, feature_views=list(VIEWS))
        stock = open_yaml(
            root,
            write_yaml(
                root,
                "stock",
                project=project,
                redis_url=redis_url,
                engine="local",
                online_type="redis",
            ),
        )
        yield stock, fast
    finally:
        os.chdir(cwd)


@pytest.mark.parametrize("name", list(REQUESTS))
def test_platform_store_returns_what_stock_feast_returns(stores, name: str) -> None:
    stock, fast = stores
    features, rows, full = REQUESTS[name]
    expected = stock.get_online_features(features, rows, full_feature_names=full)
    got = fast.get_online_features(features, rows, full_feature_names=full)
    assert isinstance(got, FastOnlineResponse)
    assert got.to_dict(include_event_timestamps=True) == expected.to_dict(
        include_event_timestamps=True
    )
    assert list(got.to_dict()) == list(expected.to_dict())  # same column order too
    pd.testing.assert_frame_equal(got.to_df(), expected.to_df())
    assert got.proto == expected.proto


@pytest.mark.parametrize("name", list(REQUESTS))
def test_python_api_returns_the_stock_dictionary(stores, name: str) -> None:
    stock, fast = stores
    features, rows, full = REQUESTS[name]
    expected = stock.get_online_features(features, rows, full_feature_names=full).to_dict()
    for store in (stock, fast):  # over Feast's own Redis store configuration as well
        assert fast_read.get_online_features(store, features, rows, full) == expected


def test_feature_service_over_views_without_data(stores) -> None:
    stock, fast = stores
    service = stock.get_feature_service("technical_all")
    rows = [{"symbol": "AAA"}, {"symbol": "FFF"}]
    expected = stock.get_online_features(service, rows, full_feature_names=True)
    got = fast.get_online_features(
        fast.get_feature_service("technical_all"), rows, full_feature_names=True
    )
    assert got.to_dict(True) == expected.to_dict(True)
    assert len(expected.to_dict()) > 200
    assert got.proto == expected.proto


def test_json_body_equals_feast_serve(stores) -> None:
    stock, fast = stores
    for features, rows, full in REQUESTS.values():
        entities = rows if isinstance(rows, dict) else {"symbol": [r["symbol"] for r in rows]}
        body = {"features": features, "entities": entities, "full_feature_names": full}
        expected = convert_response_to_dict(
            stock.get_online_features(features, entities, full_feature_names=full).proto
        )
        assert fast_read.get_online_features_json(fast, body) == expected


def test_http_server_answers_as_feast_serve(stores) -> None:
    stock, fast = stores
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(fast), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        features, rows, _ = REQUESTS["many_entities_two_views"]
        entities = {"symbol": [r["symbol"] for r in rows]}
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/get-online-features",
            data=json.dumps({"features": features, "entities": entities}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            got = json.loads(answer.read())
        expected = convert_response_to_dict(stock.get_online_features(features, entities).proto)
        assert got == json.loads(json.dumps(expected))

        unknown = urllib.request.Request(
            f"http://127.0.0.1:{port}/get-online-features",
            data=json.dumps({"features": ["nope:x"], "entities": entities}).encode(),
        )
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(unknown, timeout=10)
        assert error.value.code == 404  # feast serve's status for an unknown feature view
    finally:
        server.should_exit = True
        thread.join(timeout=10)
