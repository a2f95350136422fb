"""The fundamentals contract: columns, types and key."""

from __future__ import annotations

import pyarrow as pa
import pytest

from axiom_features.contracts.base import UTC_TIMESTAMP, ContractError, check_schema
from axiom_features.contracts.fundamentals import (
    BALANCE_COLUMNS,
    CASH_FLOW_COLUMNS,
    FUNDAMENTALS_KEY,
    FUNDAMENTALS_SCHEMA,
    INCOME_COLUMNS,
    NUMERIC_FUNDAMENTAL_COLUMNS,
)
from axiom_features.synthetic.fundamentals import generate_fundamentals


def test_columns_are_keys_then_statements_then_stamps():
    assert FUNDAMENTALS_SCHEMA.names == [
        "symbol",
        "fiscal_period",
        "period_end",
        "filing_timestamp",
        *INCOME_COLUMNS,
        *BALANCE_COLUMNS,
        *CASH_FLOW_COLUMNS,
        "shares_outstanding",
        "created_timestamp",
        "source",
    ]
    assert len(NUMERIC_FUNDAMENTAL_COLUMNS) == 24


def test_every_number_is_float64_and_every_time_is_utc_microseconds():
    for name in NUMERIC_FUNDAMENTAL_COLUMNS:
        assert FUNDAMENTALS_SCHEMA.field(name).type == pa.float64()
    for name in ("period_end", "filing_timestamp", "created_timestamp"):
        assert FUNDAMENTALS_SCHEMA.field(name).type == UTC_TIMESTAMP


def test_key_is_symbol_period_and_filing_time_so_restatements_are_new_rows():
    assert FUNDAMENTALS_KEY == ("symbol", "fiscal_period", "filing_timestamp")
    assert FUNDAMENTALS_SCHEMA.metadata[b"key"] == b"symbol,fiscal_period,filing_timestamp"
    for name in FUNDAMENTALS_KEY:
        assert not FUNDAMENTALS_SCHEMA.field(name).nullable


def test_generated_filings_satisfy_the_contract():
    filings = generate_fundamentals(["AXM"], start="2020-01-01", end="2022-12-31", seed=1)
    table = pa.Table.from_pandas(filings, preserve_index=False)
    check_schema(table, FUNDAMENTALS_SCHEMA, "generated")


def test_a_wrong_type_is_rejected_naming_the_column():
    filings = generate_fundamentals(["AXM"], start="2020-01-01", end="2021-12-31", seed=1)
    filings["revenue"] = filings["revenue"].astype(str)
    table = pa.Table.from_pandas(filings, preserve_index=False)
    with pytest.raises(ContractError, match="'revenue' has type string, expected double"):
        check_schema(table, FUNDAMENTALS_SCHEMA, "vendor.parquet")
