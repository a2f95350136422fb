"""The quality gate: bars in; accepted rows, rejected rows with reasons, warnings, findings out."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from axiom_features.contracts import BAR_SCHEMA, ContractError
from axiom_features.quality.checks import run_checks
from axiom_features.quality.context import GateContext
from axiom_features.quality.outcome import CheckOutcome
from axiom_features.quality.outliers.findings import empty_findings
from axiom_features.quality.rules import Check, Rule, Severity
from axiom_features.quality.suites import BAR_RULES

RULE_SEPARATOR = ";"


class BatchBlocked(ContractError):
    """A ``block`` rule failed: the batch is refused as a whole.

    ``rule`` names the rule; for a row rule, ``rows`` holds the failing rows' positions in
    the batch and ``locations`` (when the importer knows them) their ``file:line``.
    """

    def __init__(
        self,
        message: str,
        *,
        rule: str | None = None,
        rows: np.ndarray | None = None,
        locations: Sequence[str] = (),
    ) -> None:
        super().__init__(message)
        self.rule = rule
        self.rows = rows
        self.locations = list(locations)


@dataclass
class GateResult:
    """The gate's verdict on one batch. Frames keep the input's index."""

    accepted: pd.DataFrame
    """Rows that passed, in the bar contract's columns."""
    rejected: pd.DataFrame
    """Rows held back: the contract's columns plus ``failed_rules``, the rules that hold the
    row (quarantine rules and ingest failures, joined by ';'; warnings are not listed)."""
    rule_counts: dict[str, int]
    """Rows failing each rule (only rules that failed at least once; ``warn`` rules included)."""
    warnings: pd.Series = field(default_factory=lambda: pd.Series(dtype=object))
    """For accepted rows that failed ``warn`` rules: those rules, joined by ';'."""
    findings: pd.DataFrame = field(default_factory=empty_findings)
    """Detector details; ``row`` is the row's position in the input batch."""

    @property
    def rows_in(self) -> int:
        return len(self.accepted) + len(self.rejected)


def validate_bars(
    bars: pd.DataFrame,
    *,
    prior_failures: pd.Series | None = None,
    rules: Sequence[Rule] = BAR_RULES,
    where: str = "bars",
    context: GateContext | None = None,
) -> GateResult:
    """Check ``bars`` against ``rules``; raise :class:`BatchBlocked` if a ``block`` rule fails.

    ``prior_failures`` (aligned with ``bars``) holds rule names already found for a row
    before the gate, e.g. ``type:open`` when a file held text where a number belongs; such
    rows are rejected too, and ``not_null:open`` is not added for the value that was text.
    """
    ctx = context or GateContext()
    _check_batch_rules([r for r in rules if not r.per_row], bars, where, ctx.engine)
    frame = bars[BAR_SCHEMA.names].reset_index(drop=True)
    prior = _prior(prior_failures, len(frame))
    row_rules = [r for r in rules if r.per_row]
    flagged = _flag_rows(frame, row_rules, prior, ctx) if len(frame) else {}
    _raise_if_blocked(row_rules, flagged, where)

    labels = prior.to_numpy(dtype=object).copy()
    rejected = labels != ""
    warned = np.full(len(frame), "", dtype=object)
    for rule in row_rules:
        rows = flagged.get(rule.name)
        if rows is None or not len(rows):
            continue
        if rule.severity is Severity.QUARANTINE:
            labels[rows] = _append(labels[rows], rule.name)
            rejected[rows] = True
        else:
            warned[rows] = _append(warned[rows], rule.name)

    counts = Counter(
        n for text in (*labels[labels != ""], *warned[warned != ""]) for n in text.split(";")
    )
    accepted = frame[~rejected].set_axis(bars.index[~rejected])
    failed = frame[rejected].set_axis(bars.index[rejected])
    failed.insert(len(failed.columns), "failed_rules", labels[rejected].astype(str))
    keep = ~rejected & (warned != "")
    warnings = pd.Series(warned[keep], index=bars.index[keep], dtype=object)
    return GateResult(
        accepted=accepted,
        rejected=failed,
        rule_counts=dict(counts),
        warnings=warnings,
        findings=ctx.finding_frame(),
    )


def _append(labels: np.ndarray, name: str) -> np.ndarray:
    return np.where(labels == "", name, labels + RULE_SEPARATOR + name)


def _prior(prior_failures: pd.Series | None, n: int) -> pd.Series:
    if prior_failures is None:
        return pd.Series([""] * n, dtype=object)
    if len(prior_failures) != n:
        raise ValueError(f"prior_failures has {len(prior_failures)} rows, bars has {n}")
    return prior_failures.fillna("").astype(str).reset_index(drop=True)


def _runnable(check: Check, frame: pd.DataFrame) -> bool:
    return check.expectation == "ExpectColumnToExist" or all(c in frame for c in check.columns)


def _check_batch_rules(rules: Sequence[Rule], bars: pd.DataFrame, where: str, engine: str) -> None:
    checks = [c for r in rules for c in r.checks if _runnable(c, bars)]
    outcomes = run_checks(bars, checks, engine)
    reasons, first = [], None
    for rule in rules:
        failed = [
            outcomes[c.key]
            for c in rule.checks
            if c.key in outcomes and not outcomes[c.key].success
        ]
        if failed:
            first = first or rule.name
            reasons.append(_block_reason(rule, failed, bars))
    if reasons:
        raise BatchBlocked(f"{where}: batch blocked by {'; '.join(reasons)}", rule=first)


def _block_reason(rule: Rule, failed: list[CheckOutcome], bars: pd.DataFrame) -> str:
    missing = [c for check in rule.checks for c in check.columns if c not in bars]
    if missing:
        return f"{rule.name} (missing column(s): {', '.join(missing)})"
    observed = failed[0].observed
    found = f"; found {observed}" if observed is not None else ""
    return f"{rule.name} ({rule.description}{found})"


def _raise_if_blocked(rules: Sequence[Rule], flagged: dict[str, np.ndarray], where: str) -> None:
    for rule in rules:
        rows = flagged.get(rule.name)
        if rule.severity is Severity.BLOCK and rows is not None and len(rows):
            shown = ", ".join(str(r + 1) for r in rows[:10]) + (" …" if len(rows) > 10 else "")
            raise BatchBlocked(
                f"{where}: batch blocked by {rule.name} ({rule.description}) "
                f"in {len(rows)} row(s): {shown}",
                rule=rule.name,
                rows=rows,
            )


def _flag_rows(
    frame: pd.DataFrame, rules: Sequence[Rule], prior: pd.Series, ctx: GateContext
) -> dict[str, np.ndarray]:
    derived = {r.derived_column: r.derive(frame, ctx) for r in rules if r.derive is not None}
    checked = frame.assign(**derived) if derived else frame
    for rule in rules:
        missing = [c for check in rule.checks for c in check.columns if c not in checked]
        if missing:
            raise BatchBlocked(f"rule {rule.name} needs column(s) {', '.join(missing)}")
    outcomes = run_checks(checked, [c for r in rules for c in r.checks], ctx.engine)
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
