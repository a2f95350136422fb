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

from axiom_features.online.read_plan import NotCovered
from axiom_features.online.read_result import OnlineResult
from axiom_features.online.reader import read_online
from axiom_features.online.requests import OnlineRequest, RequestLimits, parse_request


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


_services: dict[tuple[str, str], tuple[object, FeatureService]] = {}


def _registry_stamp(store: FeatureStore) -> object:
    """When the registry's cache was last loaded (refreshed first if it has expired)."""
    registry = store.registry
    refresh = getattr(registry, "_refresh_cached_registry_if_necessary", None)
    if refresh is not None:  # SQL and other caching registries
        refresh()
    elif hasattr(registry, "_get_registry_proto"):  # the file registry
        registry._get_registry_proto(store.project, allow_cache=True)
    return getattr(registry, "cached_registry_proto_created", None)


def cached_feature_service(store: FeatureStore, name: str) -> FeatureService:
    """The feature service ``name``, built once per load of the registry cache.

    Feast rebuilds a service from the registry's protobuf on every lookup (tens of
    milliseconds for a service over many views); here it is rebuilt only when the
    registry's cache has been reloaded, which the registry does at its ``cache_ttl``.
    """
    stamp = _registry_stamp(store)
    key = (store.project, name)
    hit = _services.get(key)
    if hit is not None and stamp is not None and hit[0] == stamp:
        return hit[1]
    service = store.get_feature_service(name, allow_cache=True)
    _services[key] = (stamp, service)
    return service


def get_online_features_json(
    store: FeatureStore,
    request: dict[str, Any] | OnlineRequest,
    limits: RequestLimits | None = None,
) -> dict[str, Any]:
    """The body ``feast serve`` answers to ``/get-online-features`` with ``request``
    (validated by :func:`axiom_features.online.requests.parse_request` first)."""
    if not isinstance(request, OnlineRequest):
        request = parse_request(request, limits)
    features: list[str] | FeatureService = (
        cached_feature_service(store, request.feature_service)
        if request.feature_service
        else list(request.features or [])
    )
    entities, full = request.entities, request.full_feature_names
    if not request.include_feature_view_version_metadata:
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
        include_feature_view_version_metadata=request.include_feature_view_version_metadata,
    )
    return convert_response_to_dict(response.proto)
