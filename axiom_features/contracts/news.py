"""The news contract: headlines per symbol, and the quarantine table of rejected headlines.

A headline is keyed by when it was published, not when the platform received it
(``created_timestamp``), so a feature at bar ``t`` can use exactly the headlines public by ``t``.
"""

from __future__ import annotations

import pyarrow as pa

from axiom_features.contracts.base import UTC_TIMESTAMP

NEWS_KEY: tuple[str, ...] = ("symbol", "published_at", "headline", "source")

NEWS_SCHEMA = pa.schema(
    [
        pa.field("symbol", pa.string(), nullable=False),
        pa.field("published_at", UTC_TIMESTAMP, nullable=False),
        pa.field("headline", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("created_timestamp", UTC_TIMESTAMP, nullable=False),
    ],
    metadata={b"contract": b"news", b"key": ",".join(NEWS_KEY).encode()},
)

NEWS_QUARANTINE_SCHEMA = pa.schema(
    [
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("quarantined_at", UTC_TIMESTAMP, nullable=False),
        pa.field("source_file", pa.string(), nullable=False),
        pa.field("source_line", pa.int64(), nullable=False),
        pa.field("reasons", pa.string(), nullable=False),
        pa.field("raw_record", pa.string(), nullable=False),
    ],
    metadata={b"contract": b"news_quarantine"},
)
"""Rejected news rows: where each came from, why (``; ``-separated), and its values as JSON."""
