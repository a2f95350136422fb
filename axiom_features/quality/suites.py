"""The rule suites, one per contract, as code."""

from __future__ import annotations

from axiom_features.quality.business_rules import BUSINESS_RULES, OUTLIER_RULES
from axiom_features.quality.rules import ROW_RULES, SCHEMA_RULES, Rule

BAR_RULES: tuple[Rule, ...] = SCHEMA_RULES + ROW_RULES + BUSINESS_RULES + OUTLIER_RULES
"""Every bar rule: schema (block), row constraints, business rules, outliers."""
