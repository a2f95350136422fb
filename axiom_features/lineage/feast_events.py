"""Feast's own OpenLineage events (``openlineage:`` in ``feature_store.yaml``) go to the
same place as the platform's, through the OpenLineage client's environment configuration.

Feast 0.67 leaves the ``_producer`` of its ``feast_dataSource`` facet empty, which the
OpenLineage schema does not allow; :class:`ProducerFilled` fills it with the event's
producer before the file transport writes the event.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from openlineage.client.transport.transform.transform import EventTransformer

FEAST_PRODUCER = "https://github.com/feast-dev/feast"


class ProducerFilled(EventTransformer):
    """Set every facet's empty ``_producer`` to the event's producer."""

    def transform(self, event: Any) -> Any:
        producer = getattr(event, "producer", "") or FEAST_PRODUCER
        datasets = [
            *(getattr(event, "inputs", None) or []),
            *(getattr(event, "outputs", None) or []),
        ]
        holders = [getattr(event, "run", None), getattr(event, "job", None), *datasets]
        for holder in holders:
            for name in ("facets", "inputFacets", "outputFacets"):
                for facet in (getattr(holder, name, None) or {}).values():
                    if not getattr(facet, "_producer", None):
                        object.__setattr__(facet, "_producer", producer)
        return event


def feast_lineage_environment(root: Path) -> dict[str, str]:
    """Environment for Feast's OpenLineage client: events appended to
    ``data/lineage/feast_events.jsonl`` (``AXIOM_LINEAGE=off`` disables them)."""
    if os.environ.get("AXIOM_LINEAGE", "on").lower() in ("off", "0", "false", "no"):
        return {"OPENLINEAGE_DISABLED": "true"}
    path = root / "data" / "lineage" / "feast_events.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    return {
        "OPENLINEAGE__TRANSPORT__TYPE": "transform",
        "OPENLINEAGE__TRANSPORT__TRANSFORMER_CLASS": f"{__name__}.ProducerFilled",
        "OPENLINEAGE__TRANSPORT__TRANSPORT__TYPE": "file",
        "OPENLINEAGE__TRANSPORT__TRANSPORT__LOG_FILE_PATH": str(path),
        "OPENLINEAGE__TRANSPORT__TRANSPORT__APPEND": "true",
    }


_OURS = "AXIOM_FEAST_LINEAGE"
"""Set while the OpenLineage variables are the platform's (so another repo may replace them)."""
_KEYS = (
    "OPENLINEAGE_DISABLED",
    "OPENLINEAGE__TRANSPORT__TYPE",
    "OPENLINEAGE__TRANSPORT__TRANSFORMER_CLASS",
    "OPENLINEAGE__TRANSPORT__TRANSPORT__TYPE",
    "OPENLINEAGE__TRANSPORT__TRANSPORT__LOG_FILE_PATH",
    "OPENLINEAGE__TRANSPORT__TRANSPORT__APPEND",
)


def use_feast_lineage(root: Path) -> None:
    """Point Feast's OpenLineage client at ``root``'s lineage folder, unless the user has
    configured the OpenLineage client (``OPENLINEAGE_URL``, ``OPENLINEAGE_CONFIG``,
    ``OPENLINEAGE_DISABLED`` or ``OPENLINEAGE__TRANSPORT__*``)."""
    user_set = any(
        k in os.environ for k in ("OPENLINEAGE_URL", "OPENLINEAGE_CONFIG", "OPENLINEAGE_DISABLED")
    ) or any(k.startswith("OPENLINEAGE__TRANSPORT__") for k in os.environ)
    if user_set and os.environ.get(_OURS) != "1":
        return
    for key in _KEYS:
        os.environ.pop(key, None)
    os.environ.update(feast_lineage_environment(root))
    os.environ[_OURS] = "1"
