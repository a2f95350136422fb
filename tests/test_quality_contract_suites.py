"""Fundamentals and news suites: clean synthetic tables pass, each fault is found at its row."""

from __future__ import annotations

import pandas as pd
import pytest

from axiom_features.contracts.fundamentals import FUNDAMENTALS_SCHEMA
from axiom_features.contracts.news import NEWS_SCHEMA
from axiom_features.quality import GateContext
from axiom_features.quality.contract_suites import FUNDAMENTALS_RULES, NEWS_RULES
from axiom_features.quality.feature_rules import validate_table
from axiom_features.synthetic.fundamentals import generate_fundamentals
from axiom_features.synthetic.news import generate_news
from tests.quality_helpers import NOW

CONTEXT = GateContext(now=pd.Timestamp(NOW))


def _failing(frame: pd.DataFrame, rules) -> dict[str, list[int]]:  # noqa: ANN001
    verdict = validate_table(frame, rules, context=CONTEXT)
    return {k: v.tolist() for k, v in verdict.failing_rows.items() if len(v)}


def test_every_rule_reads_contract_columns_only():
    for rules, schema in ((FUNDAMENTALS_RULES, FUNDAMENTALS_SCHEMA), (NEWS_RULES, NEWS_SCHEMA)):
        for rule in rules:
            reads = {c for check in rule.checks for c in check.columns if not c.startswith("__")}
            assert reads <= set(schema.names), rule.name


@pytest.fixture(scope="module")
def filings() -> pd.DataFrame:
    return generate_fundamentals(3, start="2023-01-01", end="2026-06-01", seed=2)


def test_clean_synthetic_filings_pass(filings):
    assert _failing(filings, FUNDAMENTALS_RULES) == {}


def test_filing_faults_are_found_at_their_rows(filings):
    bad = filings.copy()
    bad.loc[1, "filing_timestamp"] = bad.loc[1, "period_end"] - pd.Timedelta(days=5)
    bad.loc[2, "fiscal_period"] = "Q3-2024"
    bad.loc[3, "share_repurchases"] = -10.0
    bad = pd.concat([bad, bad.iloc[[4]]], ignore_index=True)

    found = _failing(bad, FUNDAMENTALS_RULES)

    assert found == {
        "filed_after_period_end": [1],
        "fiscal_period_format": [2],
        "non_negative:share_repurchases": [3],
        "unique_key": [4, len(bad) - 1],
    }


def test_clean_synthetic_news_passes_and_faults_are_found():
    sessions = pd.date_range("2026-06-01 20:00", periods=20, freq="B", tz="UTC")
    news = generate_news(["AXM", "BLQ"], sessions, seed=1, per_day=2)
    assert _failing(news, NEWS_RULES) == {}

    bad = news.copy()
    bad.loc[0, "headline"] = "   "
    bad.loc[1, "published_at"] = pd.Timestamp(NOW) + pd.Timedelta(days=3)
    found = _failing(bad, NEWS_RULES)
    assert found == {"blank_headline": [0], "future_news": [1]}
