"""``axiom serve`` refuses bad requests with a 4xx naming the field, never leaks internal
text, serves small requests while a large one is answered, and builds a feature service
once per registry load.

A real server (uvicorn on a free port) reads a real, materialized Redis database.
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
from contextlib import contextmanager

import pytest
import uvicorn
from feast import FeatureStore

from axiom_features.materialize.fast_engine import ENGINE_TYPE
from axiom_features.online.fast_read import cached_feature_service
from axiom_features.online.requests import RequestLimits
from axiom_features.online.server import create_app
from tests.conftest import copy_feature_repo
from tests.online_fixtures import (
    END,
    VIEWS,
    feature_names,
    open_yaml,
    write_offline_tables,
    write_yaml,
)
from tests.services import free_port

pytestmark = pytest.mark.redis

FEATURES = [f"{v}:{n}" for v in VIEWS for n in feature_names(v)]
LIMITS = RequestLimits(max_body_bytes=64_000, max_entity_rows=50)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[tuple]:
    """(root, project, store) of a repo materialized into Redis."""
    cwd = os.getcwd()
    project = f"s{uuid.uuid4().hex[:10]}"
    root = copy_feature_repo(tmp_path_factory.mktemp("serve") / "repo", project=project)
    os.chdir(root)
    try:
        write_offline_tables(root)
        yaml = write_yaml(root, "fast", project=project, redis_url=redis_url, engine=ENGINE_TYPE)
        store = open_yaml(root, yaml)
        store.materialize(END.replace(year=2025), END, feature_views=list(VIEWS))
        yield root, project, store
    finally:
        os.chdir(cwd)


@contextmanager
def serving(store: FeatureStore, limits: RequestLimits = LIMITS) -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(store, limits), host="127.0.0.1", port=port, log_level="critical")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}/get-online-features"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def post(url: str, body: object | bytes) -> tuple[int, dict]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_a_string_entity_is_refused_not_split_into_characters(repo) -> None:
    with serving(repo[2]) as url:
        status, body = post(url, {"features": FEATURES[:3], "entities": {"symbol": "AXM"}})
    assert status == 422
    assert body["field"] == "entities.symbol"
    assert "list" in body["error"]


def test_a_null_entity_is_a_4xx_naming_its_position(repo) -> None:
    with serving(repo[2]) as url:
        status, body = post(url, {"features": FEATURES[:3], "entities": {"symbol": ["AAA", None]}})
    assert status == 422
    assert body["field"] == "entities.symbol[1]"


def test_a_body_over_the_limit_is_refused_with_413(repo) -> None:
    with serving(repo[2]) as url:
        status, body = post(url, b'{"features": [' + b'"x:y",' * 20_000 + b'"x:y"]}')
    assert status == 413
    assert body["field"] == "body"


def test_more_entity_rows_than_the_limit_are_refused_with_413(repo) -> None:
    with serving(repo[2]) as url:
        status, body = post(url, {"features": FEATURES[:3], "entities": {"symbol": ["AAA"] * 51}})
        ok, _ = post(url, {"features": FEATURES[:3], "entities": {"symbol": ["AAA"] * 50}})
    assert (status, body["field"], ok) == (413, "entities.symbol", 200)


def test_malformed_fields_name_themselves(repo) -> None:
    cases = {
        "features[0]": {"features": ["no_colon"], "entities": {"symbol": ["AAA"]}},
        "full_feature_names": {
            "features": FEATURES[:1],
            "entities": {"symbol": ["AAA"]},
            "full_feature_names": "yes",
        },
        "entities.symbol[0]": {"features": FEATURES[:1], "entities": {"symbol": [{"a": 1}]}},
        "body": [1, 2],
    }
    with serving(repo[2]) as url:
        answers = {field: post(url, body) for field, body in cases.items()}
    for field, (status, body) in answers.items():
        assert 400 <= status < 500, field
        assert body["field"] == field


def test_an_internal_failure_answers_500_without_internal_text(repo) -> None:
    root, project, _ = repo
    dead = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    yaml = write_yaml(root, "dead", project=project, redis_url=dead, engine=ENGINE_TYPE)
    yaml.write_text(yaml.read_text().replace("dead_registry", "fast_registry"))
    store = open_yaml(root, yaml, apply=False)
    with serving(store) as url:
        status, body = post(url, {"features": FEATURES[:3], "entities": {"symbol": ["AAA"]}})
    assert status == 500
    text = json.dumps(body)
    assert "127.0.0.1" not in text and "Error" not in text and "redis" not in text.lower()


def test_small_requests_are_answered_while_a_large_one_runs(repo) -> None:
    limits = RequestLimits(max_body_bytes=10_000_000, max_entity_rows=200_000)
    # large enough to take seconds, so the measure holds on a machine busy with other work
    large = {"features": FEATURES, "entities": {"symbol": ["AAA", "BBB", "CCC"] * 20_000}}
    small = {"features": FEATURES[:2], "entities": {"symbol": ["AAA"]}}
    with serving(repo[2], limits) as url:
        post(url, small)  # warm the request plan
        timings: dict[str, float] = {}

        def run_large() -> None:
            started = time.perf_counter()
            timings["status"] = post(url, large)[0]
            timings["large"] = time.perf_counter() - started

        thread = threading.Thread(target=run_large)
        thread.start()
        time.sleep(0.3)  # the large request is being answered
        small_times = []
        while thread.is_alive() and len(small_times) < 5:
            started = time.perf_counter()
            assert post(url, small)[0] == 200
            small_times.append(time.perf_counter() - started)
        thread.join()
    print(f"large {timings['large']:.2f} s, small {[round(t, 3) for t in small_times]}")
    assert timings["status"] == 200
    assert small_times, "the large request finished before a small one was sent"
    assert max(small_times) < timings["large"] / 3


def test_a_feature_service_is_built_once_per_registry_load(repo) -> None:
    store = repo[2]
    first = cached_feature_service(store, "technical_all")
    assert cached_feature_service(store, "technical_all") is first
    store.refresh_registry()  # a new load of the registry builds it again
    assert cached_feature_service(store, "technical_all") is not first


def test_serving_a_feature_service_costs_about_what_its_features_cost(repo) -> None:
    store = repo[2]
    service = store.get_feature_service("technical_all")
    refs = [
        f"{p.name_to_use()}:{f.name}" for p in service.feature_view_projections for f in p.features
    ]
    by_service = {"feature_service": "technical_all", "entities": {"symbol": ["AAA"]}}
    by_features = {"features": refs, "entities": {"symbol": ["AAA"]}}
    with serving(store) as url:
        for body in (by_service, by_features):
            assert post(url, body)[0] == 200  # warm both plans

        def median(body: dict) -> float:
            times = []
            for _ in range(15):
                started = time.perf_counter()
                post(url, body)
                times.append(time.perf_counter() - started)
            return sorted(times)[len(times) // 2]

        assert median(by_service) < 2 * median(by_features) + 0.005
