"""The Redis online store plugin takes its connection from a redis:// URL."""

import pytest

from axiom_features.online.redis_store import (
    AxiomRedisOnlineStoreConfig,
    connection_string_from_url,
)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("redis://127.0.0.1:6379/0", "127.0.0.1:6379,db=0"),
        ("redis://cache.internal", "cache.internal:6379"),
        ("redis://:s3cret@10.0.0.5:6380/2", "10.0.0.5:6380,db=2,password=s3cret"),
        ("rediss://app:p%40ss@host:6390/1", "host:6390,db=1,username=app,password=p@ss,ssl=true"),
    ],
)
def test_url_becomes_feast_connection_string(url: str, expected: str) -> None:
    assert connection_string_from_url(url) == expected


def test_an_unexpanded_variable_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="AXIOM_REDIS_URL"):
        AxiomRedisOnlineStoreConfig(url="${AXIOM_REDIS_URL}")


def test_config_sets_the_connection_string() -> None:
    config = AxiomRedisOnlineStoreConfig(url="redis://127.0.0.1:6399/3")
    assert config.connection_string == "127.0.0.1:6399,db=3"
