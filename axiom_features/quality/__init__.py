"""The quality gate for bars: rules as data, checked with Great Expectations, and the quarantine."""

from axiom_features.quality.gate import BatchBlocked, GateResult, validate_bars
from axiom_features.quality.quarantine import read_quarantine, write_quarantine
from axiom_features.quality.rules import BAR_RULES, ROW_RULES, SCHEMA_RULES, Check, Rule, Severity

__all__ = [
    "BAR_RULES",
    "ROW_RULES",
    "SCHEMA_RULES",
    "BatchBlocked",
    "Check",
    "GateResult",
    "Rule",
    "Severity",
    "read_quarantine",
    "validate_bars",
    "write_quarantine",
]
