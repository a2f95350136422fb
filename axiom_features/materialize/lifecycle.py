"""Feast's feature view lifecycle states left behind by a killed materialization.

``FeatureStore.materialize`` moves a view to ``MATERIALIZING`` and back when it ends; a
process killed in between leaves it there, and Feast then refuses to serve the view. With
no materialization alive (the caller holds the view's job lock), such a state is stale.
"""

from __future__ import annotations

from feast import FeatureStore
from feast.feature_view import FeatureViewState

CLEAR_COMMAND = "axiom materialize --views {views}"
"""The command that clears a stale state (a materialization resets it first)."""


def stuck_views(store: FeatureStore, names: list[str] | None = None) -> list[str]:
    """Views in ``MATERIALIZING`` state (of ``names``, default all), read from the registry."""
    views = store.registry.list_feature_views(store.project, allow_cache=False)
    return sorted(
        v.name
        for v in views
        if getattr(v, "state", None) == FeatureViewState.MATERIALIZING
        and (names is None or v.name in names)
    )


def clear_stale_states(store: FeatureStore, names: list[str] | None = None) -> list[str]:
    """Reset views stuck in ``MATERIALIZING`` to the state they can serve from again
    (``AVAILABLE_ONLINE`` when they were materialized before, else ``GENERATED``); returns
    their names. Call only while holding the views' job locks."""
    cleared = []
    for name in stuck_views(store, names):
        view = store.registry.get_feature_view(name, store.project, allow_cache=False)
        view.state = (
            FeatureViewState.AVAILABLE_ONLINE
            if view.materialization_intervals
            else FeatureViewState.GENERATED
        )
        store.registry.apply_feature_view(view, store.project, commit=True)
        cleared.append(name)
    return cleared
