"""The gate's verdict on a run as a record: counts, rules with examples, or what blocked it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from axiom_features.quality.gate import BatchBlocked, GateResult
from axiom_features.quality.rules import Rule

Locate = Callable[[np.ndarray], list[tuple[str, int]]]
"""Row positions in the batch → (file, line) of each."""
EXAMPLES = 3


def _rules(rules: Sequence[Rule]) -> dict[str, dict[str, str]]:
    return {r.name: {"severity": str(r.severity), "description": r.description} for r in rules}


def passed_verdict(
    run_id: str,
    gate: GateResult,
    rules: Sequence[Rule],
    locate: Locate,
    bars: pd.DataFrame,
) -> dict[str, Any]:
    """Counts per rule, with up to three example rows (file, line, values) for each."""
    labelled = pd.concat([gate.rejected["failed_rules"], gate.warnings])
    positions = bars.index.get_indexer(labelled.index)
    examples: dict[str, list[dict[str, Any]]] = {}
    for position, text in zip(positions, labelled.to_numpy(), strict=True):
        for name in str(text).split(";"):
            shown = examples.setdefault(name, [])
            if len(shown) < EXAMPLES:
                file, line = locate(np.array([position]))[0]
                values = bars.iloc[position][["symbol", "event_timestamp", "open", "high", "low",
                                              "close", "volume"]]  # fmt: skip
                shown.append({"file": file, "line": line, "values": _plain(values.to_dict())})
    return {
        "run_id": run_id,
        "status": "passed",
        "checked_at": datetime.now(UTC).isoformat(),
        "rows_in": gate.rows_in,
        "accepted": len(gate.accepted),
        "quarantined": len(gate.rejected),
        "warned": len(gate.warnings),
        "rule_counts": dict(sorted(gate.rule_counts.items())),
        "rules": _rules(rules),
        "examples": examples,
        "findings": int(len(gate.findings)),
    }


def blocked_verdict(
    run_id: str, error: BatchBlocked, rules: Sequence[Rule], rows_in: int, where: str
) -> dict[str, Any]:
    """The rule that blocked the run, the file(s) and the rows it named."""
    return {
        "run_id": run_id,
        "status": "blocked",
        "checked_at": datetime.now(UTC).isoformat(),
        "rows_in": rows_in,
        "accepted": 0,
        "quarantined": 0,
        "warned": 0,
        "rule_counts": {},
        "rules": _rules(rules),
        "blocked": {
            "rule": error.rule,
            "where": where,
            "rows": len(error.rows) if error.rows is not None else None,
            "locations": error.locations[:50],
            "message": str(error),
        },
    }


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in values.items():
        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, float) and np.isnan(value) or value is pd.NaT:
            value = None
        out[key] = value.isoformat() if isinstance(value, pd.Timestamp) else value
    return out
