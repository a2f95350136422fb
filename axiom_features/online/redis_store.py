"""Feast's Redis online store, configured from a ``redis://`` URL taken from the environment.

``feature_store.yaml``::

    online_store:
      type: axiom_features.online.redis_store.AxiomRedisOnlineStore
      url: ${AXIOM_REDIS_URL}

Keys and values keep Feast's own layout, so stock ``get_online_features`` reads them.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import unquote, urlparse

from feast.infra.online_stores.redis import RedisOnlineStore, RedisOnlineStoreConfig
from pydantic import model_validator

STORE_TYPE = "axiom_features.online.redis_store.AxiomRedisOnlineStore"


def connection_string_from_url(url: str) -> str:
    """Feast's ``host:port,db=N,password=…`` form of a ``redis://`` or ``rediss://`` URL."""
    parsed = urlparse(url)
    if parsed.scheme not in ("redis", "rediss") or not parsed.hostname:
        raise ValueError(
            f"online_store.url: expected redis://host:port/db, got {url!r} "
            "(is AXIOM_REDIS_URL set?)"
        )
    parts = [f"{parsed.hostname}:{parsed.port or 6379}"]
    db = parsed.path.lstrip("/")
    if db:
        parts.append(f"db={int(db)}")
    if parsed.username:
        parts.append(f"username={unquote(parsed.username)}")
    if parsed.password:
        parts.append(f"password={unquote(parsed.password)}")
    if parsed.scheme == "rediss":
        parts.append("ssl=true")
    return ",".join(parts)


class AxiomRedisOnlineStoreConfig(RedisOnlineStoreConfig):
    """Redis online store settings; the connection comes from ``url``."""

    type: Literal[STORE_TYPE] = STORE_TYPE  # type: ignore[assignment]
    """Online store type selector."""

    url: str | None = None
    """``redis://[user:password@]host:port/db``; usually ``${AXIOM_REDIS_URL}``."""

    @model_validator(mode="after")
    def _connection_from_url(self) -> AxiomRedisOnlineStoreConfig:
        if self.url is not None:
            self.connection_string = connection_string_from_url(self.url)
        return self


class AxiomRedisOnlineStore(RedisOnlineStore):
    """Feast's Redis online store with URL configuration."""
