"""Feast's own OpenLineage events (``openlineage:`` in ``feature_store.yaml``) go to the
same place as the platform's, through the OpenLineage client's environment configuration.

Feast imports the OpenLineage client (and every transport it ships) the first time a store
emits; with ``AXIOM_LINEAGE=off`` the store's integration is switched off, so that import
never happens. The client writes through
:class:`~axiom_features.lineage.feast_transport.FeastFileTransport` (loaded by name).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from axiom_features.lakes.provenance import provenance_enabled

if TYPE_CHECKING:
    from feast import FeatureStore

TRANSPORT = "axiom_features.lineage.feast_transport.FeastFileTransport"


def feast_lineage_environment(root: Path) -> dict[str, str]:
    """Environment for Feast's OpenLineage client: events appended to
    ``data/lineage/feast_events.jsonl`` (``AXIOM_LINEAGE=off`` disables them)."""
    if not provenance_enabled():
        return {"OPENLINEAGE_DISABLED": "true"}
    path = root / "data" / "lineage" / "feast_events.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    return {
        "OPENLINEAGE__TRANSPORT__TYPE": TRANSPORT,
        "OPENLINEAGE__TRANSPORT__LOG_FILE_PATH": str(path),
    }


_OURS = "AXIOM_FEAST_LINEAGE"
"""Set while the OpenLineage variables are the platform's (so another repo may replace them)."""
_KEYS = (
    "OPENLINEAGE_DISABLED",
    "OPENLINEAGE__TRANSPORT__TYPE",
    "OPENLINEAGE__TRANSPORT__LOG_FILE_PATH",
    "OPENLINEAGE__TRANSPORT__TRANSFORMER_CLASS",
    "OPENLINEAGE__TRANSPORT__TRANSPORT__TYPE",
    "OPENLINEAGE__TRANSPORT__TRANSPORT__LOG_FILE_PATH",
    "OPENLINEAGE__TRANSPORT__TRANSPORT__APPEND",
)


def use_feast_lineage(store: FeatureStore, root: Path) -> FeatureStore:
    """``store`` with Feast's integration pointed at ``root``'s lineage folder, unless the
    user has configured the OpenLineage client (``OPENLINEAGE_URL``, ``OPENLINEAGE_CONFIG``,
    ``OPENLINEAGE_DISABLED`` or ``OPENLINEAGE__TRANSPORT__*``); switched off, client not
    loaded, under ``AXIOM_LINEAGE=off``."""
    if not provenance_enabled():
        store.config.openlineage_config = None
    user_set = any(
        k in os.environ for k in ("OPENLINEAGE_URL", "OPENLINEAGE_CONFIG", "OPENLINEAGE_DISABLED")
    ) or any(k.startswith("OPENLINEAGE__TRANSPORT__") for k in os.environ)
    if user_set and os.environ.get(_OURS) != "1":
        return store
    for key in _KEYS:
        os.environ.pop(key, None)
    os.environ.update(feast_lineage_environment(root))
    os.environ[_OURS] = "1"
    return store
