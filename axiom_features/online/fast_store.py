"""The platform's Redis online store: Feast's layout, read without a protobuf per value.

``feature_store.yaml``::

    online_store:
      type: axiom_features.online.fast_store.AxiomFastRedisOnlineStore
      url: ${AXIOM_REDIS_URL}

It is :class:`~axiom_features.online.redis_store.AxiomRedisOnlineStore` (so writes, deletes
and the stored bytes are Feast's) whose ``get_online_features`` reads through
:mod:`axiom_features.online.reader`: one pipelined ``HMGET`` per entity for all requested
views, float64 values decoded in bulk with NumPy, and a response that builds Feast's protobuf
only if a caller asks for ``.proto``. Requests the fast path does not cover (on-demand views,
pre-computed services, version metadata) are served by Feast's code.
"""

from __future__ import annotations

from typing import Any, Literal

from feast import FeatureService, RepoConfig
from feast.infra.registry.base_registry import BaseRegistry
from feast.online_response import OnlineResponse

from axiom_features.online.read_plan import NotCovered
from axiom_features.online.read_result import FastOnlineResponse
from axiom_features.online.reader import read_online
from axiom_features.online.redis_store import AxiomRedisOnlineStore, AxiomRedisOnlineStoreConfig

STORE_TYPE = "axiom_features.online.fast_store.AxiomFastRedisOnlineStore"


class AxiomFastRedisOnlineStoreConfig(AxiomRedisOnlineStoreConfig):
    """Redis online store settings; the connection comes from ``url``."""

    type: Literal[STORE_TYPE] = STORE_TYPE  # type: ignore[assignment]
    """Online store type selector."""


class AxiomFastRedisOnlineStore(AxiomRedisOnlineStore):
    """Feast's Redis store with a vectorized ``get_online_features``."""

    def get_online_features(
        self,
        config: RepoConfig,
        features: list[str] | FeatureService,
        entity_rows: Any,
        registry: BaseRegistry,
        project: str,
        full_feature_names: bool = False,
        include_feature_view_version_metadata: bool = False,
    ) -> OnlineResponse:
        if not include_feature_view_version_metadata:
            try:
                result = read_online(
                    self._get_client(config.online_store),
                    config=config,
                    registry=registry,
                    project=project,
                    features=features,
                    entity_rows=entity_rows,
                    full_feature_names=full_feature_names,
                )
                return FastOnlineResponse(result)
            except NotCovered:
                pass
        return super().get_online_features(
            config,
            features,
            entity_rows,
            registry,
            project,
            full_feature_names=full_feature_names,
            include_feature_view_version_metadata=include_feature_view_version_metadata,
        )
