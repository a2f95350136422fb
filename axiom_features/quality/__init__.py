"""The quality gate for bars: rules as data, checked with Great Expectations, and the quarantine."""

from axiom_features.quality.context import GateContext
from axiom_features.quality.gate import BatchBlocked, GateResult, validate_bars
from axiom_features.quality.quarantine import read_quarantine, write_quarantine
from axiom_features.quality.rules import (
    ROW_RULES,
    SCHEMA_RULES,
    Check,
    Rule,
    Severity,
    derived_rule,
    with_severities,
)
from axiom_features.quality.suites import BAR_RULES

__all__ = [
    "BAR_RULES",
    "ROW_RULES",
    "SCHEMA_RULES",
    "BatchBlocked",
    "Check",
    "GateContext",
    "GateResult",
    "Rule",
    "Severity",
    "derived_rule",
    "read_quarantine",
    "validate_bars",
    "with_severities",
    "write_quarantine",
]
