"""Online features as stock Feast returns them, read through the platform's bulk reader.

``get_online_features(store, features, entity_rows)`` returns the dictionary that
``store.get_online_features(features, entity_rows).to_dict()`` returns, and
``get_online_features_json(store, request)`` the body ``feast serve`` answers to
``/get-online-features``. On a Redis online store they read with
:func:`axiom_features.online.reader.read_online`; anything else (SQLite, requests the bulk
reader does not cover) goes through Feast.
"""

from __future__ import annotations

from typing import Any

from feast import FeatureService, FeatureStore
from feast.feature_server_utils import convert_response_to_dict
from feast.infra.online_stores.redis import RedisOnlineStore

from axiom_features.online.reader import NotCovered, OnlineResult, read_online


def read_result(
    store: FeatureStore,
    features: list[str] | FeatureService,
    entity_rows: Any,
    full_feature_names: bool = False,
) -> OnlineResult | None:
    """The columnar result of a request, or None when the bulk reader does not cover it."""
    online = store._get_provider().online_store
    if not isinstance(online, RedisOnlineStore):
        return None
    try:
        return read_online(
            online._get_client(store.config.online_store),
            config=store.config,
            registry=store.registry,
            project=store.project,
            features=features,
            entity_rows=entity_rows,
            full_feature_names=full_feature_names,
        )
    except NotCovered:
        return None


def get_online_features(
    store: FeatureStore,
    features: list[str] | FeatureService,
    entity_rows: Any,
    full_feature_names: bool = False,
    include_event_timestamps: bool = False,
) -> dict[str, list[Any]]:
    """What ``store.get_online_features(...).to_dict()`` returns, read in bulk."""
    result = read_result(store, features, entity_rows, full_feature_names)
    if result is not None:
        return result.to_dict(include_event_timestamps)
    response = store.get_online_features(
        features=features, entity_rows=entity_rows, full_feature_names=full_feature_names
    )
    return response.to_dict(include_event_timestamps)


def request_features(store: FeatureStore, request: dict[str, Any]) -> list[str] | FeatureService:
    """The features of a ``/get-online-features`` request body."""
    service = request.get("feature_service")
    if service:
        return store.get_feature_service(service, allow_cache=True)
    features = request.get("features") or []
    if not isinstance(features, list) or not all(isinstance(f, str) for f in features):
        raise ValueError("'features' must be a list of 'view:feature' strings")
    return features


def get_online_features_json(store: FeatureStore, request: dict[str, Any]) -> dict[str, Any]:
    """The body ``feast serve`` answers to ``/get-online-features`` with ``request``."""
    entities = request.get("entities")
    if not isinstance(entities, dict):
        raise ValueError("'entities' must be an object of join key → list of values")
    features = request_features(store, request)
    full = bool(request.get("full_feature_names", False))
    if not request.get("include_feature_view_version_metadata"):
        result = read_result(store, features, entities, full)
        if result is not None:
            try:
                return result.to_json()
            except NotCovered:
                pass
    response = store.get_online_features(
        features=features,
        entity_rows=entities,
        full_feature_names=full,
        include_feature_view_version_metadata=bool(
            request.get("include_feature_view_version_metadata", False)
        ),
    )
    return convert_response_to_dict(response.proto)
