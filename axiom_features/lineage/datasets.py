"""Names of the platform's datasets, shared by events, the graph and traces.

Run records name their inputs and outputs as ``lake:bars``, ``offline:<view>``,
``online:<view>``, ``quarantine:<run>``, ``registry:<view>`` or a file path; OpenLineage
names them ``(namespace, name)``: the platform's namespace and a dotted name, or ``file``
and the absolute path.
"""

from __future__ import annotations

from pathlib import Path

FILE_NAMESPACE = "file"


def dataset_id(item: str, namespace: str) -> tuple[str, str]:
    """``(namespace, name)`` of a run record's input or output."""
    kind, sep, rest = item.partition(":")
    if sep and kind in {"lake", "offline", "online", "quarantine", "registry", "postgres"}:
        return namespace, f"{kind}.{rest}"
    return FILE_NAMESPACE, str(Path(item).resolve()) if not item.startswith("<") else item


LAKE_OF_COLUMN = {
    "open": "lake.bars",
    "high": "lake.bars",
    "low": "lake.bars",
    "close": "lake.bars",
    "volume": "lake.bars",
    "market": "lake.bars",
    "headline": "lake.news",
    "published_at": "lake.news",
}
"""Which lake a catalogue input column is read from (the rest: fundamentals)."""


def input_column(column: str) -> tuple[str, str]:
    """``(dataset, field)`` a catalogue input reads; ``market`` is every symbol's close."""
    dataset = LAKE_OF_COLUMN.get(column, "lake.fundamentals")
    return dataset, "close" if column == "market" else column
