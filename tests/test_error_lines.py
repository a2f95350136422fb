"""Failures phrased in one line: ``<what> <where>: <reason>``, secrets masked, service URLs
checked before anything connects, and only connection errors retried."""

from __future__ import annotations

import pytest
import redis

from axiom_features.resilience.errors import ServiceError, describe, mask_secrets
from axiom_features.resilience.retry import retrying
from axiom_features.resilience.urls import check_service_urls
from tests.services import free_port

PRODUCTION_YAML = (
    "online_store:\n  url: ${AXIOM_REDIS_URL}\noffline_store:\n  url: ${AXIOM_POSTGRES_URL}\n"
)


def test_passwords_in_urls_and_keywords_are_masked() -> None:
    text = "redis://trader:s3cret@h:6379/0 and password=hunter2 and postgresql://u:p@db/x"
    assert mask_secrets(text) == (
        "redis://trader:***@h:6379/0 and password=*** and postgresql://u:***@db/x"
    )


def test_a_refused_redis_connection_is_one_line_naming_the_address() -> None:
    port = free_port()
    with pytest.raises(redis.ConnectionError) as raised:
        redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=2).ping()
    line = describe(raised.value)
    assert line.startswith(f"Redis unreachable at 127.0.0.1:{port}: ")
    assert "\n" not in line


def test_a_wrapped_failure_is_described_by_its_cause() -> None:
    try:
        try:
            raise ServiceError("malformed AXIOM_REDIS_URL redis://u:***@h:x/0: bad port")
        except ServiceError as inner:
            raise RuntimeError("materialization failed\nwith many lines") from inner
    except RuntimeError as outer:
        assert describe(outer) == "malformed AXIOM_REDIS_URL redis://u:***@h:x/0: bad port"


def test_a_postgres_scheme_url_is_rewritten_and_a_malformed_redis_url_is_named() -> None:
    env = {"AXIOM_REDIS_URL": "redis://127.0.0.1:6379/0", "AXIOM_POSTGRES_URL": "postgres://u@h/db"}
    check_service_urls(PRODUCTION_YAML, env)
    assert env["AXIOM_POSTGRES_URL"] == "postgresql://u@h/db"

    env["AXIOM_REDIS_URL"] = "redis://trader:s3cret@127.0.0.1:63x9/0"
    with pytest.raises(ServiceError) as raised:
        check_service_urls(PRODUCTION_YAML, env)
    assert str(raised.value).startswith("malformed AXIOM_REDIS_URL redis://trader:***@")
    assert "s3cret" not in str(raised.value)


def test_a_missing_url_is_named_and_an_unused_one_is_not_checked() -> None:
    with pytest.raises(ServiceError, match="missing AXIOM_POSTGRES_URL"):
        check_service_urls(PRODUCTION_YAML, {"AXIOM_REDIS_URL": "redis://h:1/0"})
    check_service_urls("online_store:\n  type: sqlite\n", {"AXIOM_REDIS_URL": "nonsense"})


def test_only_connection_errors_are_retried_and_the_retries_are_bounded() -> None:
    port = free_port()
    tries = []

    def ping() -> None:
        tries.append(1)
        redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=1).ping()

    with pytest.raises(redis.ConnectionError):
        retrying(ping, attempts=3, first_delay=0.01)
    assert len(tries) == 3

    tries.clear()

    def bad_data() -> None:
        tries.append(1)
        raise ValueError("column 'close' is missing")

    with pytest.raises(ValueError):
        retrying(bad_data, attempts=3, first_delay=0.01)
    assert len(tries) == 1
