"""The first quality gate: bars in; accepted rows, rejected rows with reasons, and counts out."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from axiom_features.contracts import BAR_SCHEMA, ContractError
from axiom_features.quality.gx_engine import CheckOutcome, run_checks
from axiom_features.quality.rules import BAR_RULES, Check, Rule, Severity

RULE_SEPARATOR = ";"


class BatchBlocked(ContractError):
    """A ``block`` rule failed: the batch is refused as a whole."""


@dataclass
class GateResult:
    """The gate's verdict on one batch. Both frames keep the input's index."""

    accepted: pd.DataFrame
    """Rows that passed, in the bar contract's columns."""
    rejected: pd.DataFrame
    """Rows that failed: the bar contract's columns plus ``failed_rules`` (joined by ';')."""
    rule_counts: dict[str, int]
    """Rows failing each rule (only rules that failed at least once; ``warn`` rules included)."""

    @property
    def rows_in(self) -> int:
        return len(self.accepted) + len(self.rejected)


def validate_bars(
    bars: pd.DataFrame,
    *,
    prior_failures: pd.Series | None = None,
    rules: Sequence[Rule] = BAR_RULES,
    where: str = "bars",
) -> GateResult:
    """Check ``bars`` against ``rules``; raise :class:`BatchBlocked` if a ``block`` rule fails.

    ``prior_failures`` (aligned with ``bars``) holds rule names already found for a row
    before the gate, e.g. ``type:open`` when a file held text where a number belongs; such
    rows are rejected too, and ``not_null:open`` is not added for the value that was text.
    """
    _check_blocking([r for r in rules if r.severity is Severity.BLOCK], bars, where)
    frame = bars[BAR_SCHEMA.names].reset_index(drop=True)
    prior = _prior(prior_failures, len(frame))
    row_rules = [r for r in rules if r.severity is not Severity.BLOCK]
    flagged = _flag_rows(frame, row_rules, prior) if len(frame) else {}

    labels = prior.to_numpy(dtype=object).copy()
    rejected = labels != ""
    for rule in row_rules:
        rows = flagged.get(rule.name)
        if rows is None or not len(rows):
            continue
        labels[rows] = np.where(
            labels[rows] == "", rule.name, labels[rows] + RULE_SEPARATOR + rule.name
        )
        if rule.severity is Severity.QUARANTINE:
            rejected[rows] = True

    counts = Counter(n for text in labels[labels != ""] for n in text.split(RULE_SEPARATOR))
    accepted = frame[~rejected].set_axis(bars.index[~rejected])
    failed = frame[rejected].set_axis(bars.index[rejected])
    failed.insert(len(failed.columns), "failed_rules", labels[rejected].astype(str))
    return GateResult(accepted=accepted, rejected=failed, rule_counts=dict(counts))


def _prior(prior_failures: pd.Series | None, n: int) -> pd.Series:
    if prior_failures is None:
        return pd.Series([""] * n, dtype=object)
    if len(prior_failures) != n:
        raise ValueError(f"prior_failures has {len(prior_failures)} rows, bars has {n}")
    return prior_failures.fillna("").astype(str).reset_index(drop=True)


def _runnable(check: Check, frame: pd.DataFrame) -> bool:
    return check.expectation == "ExpectColumnToExist" or all(c in frame for c in check.columns)


def _check_blocking(rules: Sequence[Rule], bars: pd.DataFrame, where: str) -> None:
    checks = [c for r in rules for c in r.checks if _runnable(c, bars)]
    outcomes = run_checks(bars, checks)
    reasons = []
    for rule in rules:
        failed = [
            outcomes[c.key]
            for c in rule.checks
            if c.key in outcomes and not outcomes[c.key].success
        ]
        if failed:
            reasons.append(_block_reason(rule, failed, bars))
    if reasons:
        raise BatchBlocked(f"{where}: batch blocked by {'; '.join(reasons)}")


def _block_reason(rule: Rule, failed: list[CheckOutcome], bars: pd.DataFrame) -> str:
    missing = [c for check in rule.checks for c in check.columns if c not in bars]
    if missing:
        return f"{rule.name} (missing column(s): {', '.join(missing)})"
    observed = failed[0].observed
    found = f"; found {observed}" if observed is not None else ""
    return f"{rule.name} ({rule.description}{found})"


def _flag_rows(
    frame: pd.DataFrame, rules: Sequence[Rule], prior: pd.Series
) -> dict[str, np.ndarray]:
    for rule in rules:
        missing = [c for check in rule.checks for c in check.columns if c not in frame]
        if missing:
            raise BatchBlocked(f"rule {rule.name} needs column(s) {', '.join(missing)}")
    outcomes = run_checks(frame, [c for r in rules for c in r.checks])
    flagged: dict[str, np.ndarray] = {}
    for rule in rules:
        parts = []
        for check in rule.checks:
            outcome = outcomes[check.key]
            if outcome.unexpected is None:
                if not outcome.success:
                    raise ValueError(f"rule {rule.name}: {check.expectation} has no per-row result")
                continue
            parts.append(outcome.unexpected)
        rows = np.unique(np.concatenate(parts)) if parts else np.empty(0, dtype=np.int64)
        if rule.refine is not None and len(rows):
            rows = rule.refine(frame, rows)
        flagged[rule.name] = _unless_type_failure(rule.name, rows, prior)
    return flagged


def _unless_type_failure(name: str, rows: np.ndarray, prior: pd.Series) -> np.ndarray:
    """``not_null:<col>`` is not reported for a row whose <col> failed ``type:<col>`` already."""
    if not name.startswith("not_null:") or not len(rows):
        return rows
    column = name.removeprefix("not_null:")
    typed = prior.iloc[rows].str.split(RULE_SEPARATOR).map(lambda names: f"type:{column}" in names)
    return rows[~typed.to_numpy(dtype=bool)]
