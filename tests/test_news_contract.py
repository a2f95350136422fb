"""The news contract: columns, types, key, and rejection of files that do not match."""

from __future__ import annotations

import pyarrow as pa
import pytest

from axiom_features.contracts.base import UTC_TIMESTAMP, ContractError, conform
from axiom_features.contracts.news import NEWS_KEY, NEWS_QUARANTINE_SCHEMA, NEWS_SCHEMA


def test_news_schema_has_the_contract_columns_and_types() -> None:
    assert NEWS_SCHEMA.names == [
        "symbol", "published_at", "headline", "source", "created_timestamp"
    ]  # fmt: skip
    assert NEWS_SCHEMA.field("published_at").type == UTC_TIMESTAMP
    assert NEWS_SCHEMA.field("created_timestamp").type == pa.timestamp("us", tz="UTC")
    assert NEWS_SCHEMA.field("headline").type == pa.string()
    assert not any(field.nullable for field in NEWS_SCHEMA)


def test_news_key_is_symbol_publication_time_headline_and_source() -> None:
    assert NEWS_KEY == ("symbol", "published_at", "headline", "source")
    assert NEWS_SCHEMA.metadata[b"key"] == b"symbol,published_at,headline,source"


def test_a_table_with_a_wrong_type_is_rejected_naming_file_column_and_type() -> None:
    table = pa.table(
        {
            "symbol": ["AXM"],
            "published_at": ["2024-03-04 14:30"],
            "headline": ["AXM files annual report"],
            "source": ["test"],
            "created_timestamp": pa.array([0], UTC_TIMESTAMP),
        }
    )
    with pytest.raises(ContractError, match=r"news\.parquet: column 'published_at'.*timestamp"):
        conform(table, NEWS_SCHEMA, "news.parquet")


def test_quarantine_rows_keep_file_line_reasons_and_raw_values() -> None:
    assert {"source_file", "source_line", "reasons", "raw_record"} <= set(
        NEWS_QUARANTINE_SCHEMA.names
    )
