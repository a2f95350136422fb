"""The newest event time of a view in the online store, read from the store itself.

On Redis every entity hash of the project that holds ``_ts:<view>`` is one of the view's
entities, so a ``SCAN`` of the project's keys finds them all, whatever the offline store
(Parquet files or PostgreSQL tables) knows.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from feast import FeatureStore, FeatureView
from feast.infra.online_stores.redis import RedisOnlineStore, _versioned_fv_name

from axiom_features.online.layout import timestamp_field, timestamp_nanos

SCAN_COUNT = 1000
"""Keys asked for per ``SCAN`` call (and stamps read per pipeline)."""


def is_redis(store: FeatureStore) -> bool:
    return isinstance(store._get_provider().online_store, RedisOnlineStore)


def redis_client(store: FeatureStore) -> Any:  # noqa: ANN401 - redis.Redis | RedisCluster
    online = store._get_provider().online_store
    return online._get_client(store.config.online_store)


def newest_in_redis(client: Any, project: str, view_name: str) -> tuple[datetime | None, int]:  # noqa: ANN401
    """``(newest event time, entities)`` of ``view_name`` among ``project``'s Redis hashes."""
    field = timestamp_field(view_name)
    pattern = b"*" + project.encode()
    newest = 0
    entities = 0
    batch: list[bytes] = []

    def flush() -> None:
        nonlocal newest, entities
        pipe = client.pipeline(transaction=False)
        for key in batch:
            pipe.hget(key, field)
        for raw in pipe.execute():
            if raw:
                entities += 1
                newest = max(newest, timestamp_nanos(raw))
        batch.clear()

    for key in client.scan_iter(match=pattern, count=SCAN_COUNT):
        batch.append(key)
        if len(batch) >= SCAN_COUNT:
            flush()
    if batch:
        flush()
    when = datetime.fromtimestamp(newest / 1e9, UTC) if newest else None
    return when, entities


def newest_online(store: FeatureStore, view: FeatureView) -> tuple[datetime | None, int]:
    """``(newest event time, entities)`` of ``view`` in a Redis online store."""
    name = _versioned_fv_name(view, store.config)
    return newest_in_redis(redis_client(store), store.config.project, name)
