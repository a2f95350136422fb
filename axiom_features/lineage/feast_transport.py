"""The transport Feast's OpenLineage client writes through: one JSON line per event.

The client loads :class:`FeastFileTransport` by name (``OPENLINEAGE__TRANSPORT__TYPE``, set by
:mod:`axiom_features.lineage.feast_events`). Each event is serialized once, its empty
``_producer`` fields are filled (Feast 0.67 leaves the one of its ``feast_dataSource`` facet
empty, which the OpenLineage schema does not allow), and the line is appended by the
platform's own :class:`~axiom_features.lineage.emitter.FileTransport`. The client's stock
``transform`` transport around its ``file`` transport did the same with a deep copy of the
event and four serializations of it (three for debug messages that are built even when
debug logging is off).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attr
from openlineage.client.serde import Serde
from openlineage.client.transport.transport import Config, Transport

from axiom_features.lineage.emitter import FileTransport

FEAST_PRODUCER = "https://github.com/feast-dev/feast"


@attr.define
class FeastFileConfig(Config):
    """Where the events go (``OPENLINEAGE__TRANSPORT__LOG_FILE_PATH``)."""

    log_file_path: str

    @classmethod
    def from_dict(cls, params: dict[str, Any]) -> FeastFileConfig:
        if "log_file_path" not in params:
            raise RuntimeError("log_file_path is required for FeastFileTransport")
        return cls(log_file_path=str(params["log_file_path"]))


class FeastFileTransport(Transport):
    """Feast's events appended as JSON lines, producers filled."""

    kind = "axiom_feast_file"
    config_class = FeastFileConfig

    def __init__(self, config: FeastFileConfig) -> None:
        self.config = config
        self._file = FileTransport(Path(config.log_file_path))

    def emit(self, event: Any) -> None:
        self._file.emit(producers_filled(Serde.to_dict(event)))


def producers_filled(event: dict[str, Any]) -> dict[str, Any]:
    """``event`` (a serialized OpenLineage event) with every facet's missing or empty
    ``_producer`` set to the event's producer."""
    producer = event.get("producer") or FEAST_PRODUCER
    holders = [
        event.get("run") or {},
        event.get("job") or {},
        *(event.get("inputs") or []),
        *(event.get("outputs") or []),
    ]
    for holder in holders:
        for name in ("facets", "inputFacets", "outputFacets"):
            for facet in (holder.get(name) or {}).values():
                if isinstance(facet, dict) and not facet.get("_producer"):
                    facet["_producer"] = producer
    return event
