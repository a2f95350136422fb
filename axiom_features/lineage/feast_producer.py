"""The transformer Feast's OpenLineage client applies before writing an event.

Feast 0.67 leaves the ``_producer`` of its ``feast_dataSource`` facet empty, which the
OpenLineage schema does not allow; :class:`ProducerFilled` fills it with the event's
producer. The OpenLineage client loads this module by name (only when Feast's integration
is on), so nothing else imports the client for it.
"""

from __future__ import annotations

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
