"""Corrections: an offered bar whose key is stored with other values, and what to do with it.

Vendors correct bars; a correction is never dropped. ``on_conflict`` decides:

- ``quarantine`` (default): the offered bar is held with rule ``correction``; a finding names
  the stored and the offered values;
- ``replace``: the offered bar replaces the stored one; the stored version goes to the bar
  history with the time it stopped being current, and the symbol is marked for recompute
  from that bar;
- ``keep``: the stored bar stays; the correction is still counted.
"""

from __future__ import annotations

from dataclasses import replace as with_fields

import numpy as np
import pandas as pd

from axiom_features.contracts import BAR_KEY, NUMERIC_BAR_COLUMNS
from axiom_features.lakes.bars import BarLake
from axiom_features.quality.gate import GateResult
from axiom_features.quality.outliers.findings import FINDING_COLUMNS

ON_CONFLICT: tuple[str, ...] = ("quarantine", "replace", "keep")
RULE = "correction"


def find_corrections(lake: BarLake, accepted: pd.DataFrame) -> pd.DataFrame:
    """Accepted rows whose key is stored with other values; stored values as ``stored_<col>``.

    Keeps ``accepted``'s index.
    """
    found = []
    held = set(lake.symbols())
    for symbol, rows in accepted.groupby("symbol", sort=True):
        if str(symbol) not in held:
            continue
        stored = lake.read_symbol(str(symbol))
        if stored.empty:
            continue
        reference = stored[[*BAR_KEY, *NUMERIC_BAR_COLUMNS]].rename(
            columns={c: f"stored_{c}" for c in NUMERIC_BAR_COLUMNS}
        )
        joined = rows.reset_index(names="_row").merge(reference, on=list(BAR_KEY), how="inner")
        differs = np.zeros(len(joined), dtype=bool)
        for c in NUMERIC_BAR_COLUMNS:
            mine, theirs = joined[c], joined[f"stored_{c}"]
            differs |= ~((mine == theirs) | (mine.isna() & theirs.isna())).to_numpy()
        found.append(joined[differs].set_index("_row"))
    if not found:
        return accepted.iloc[:0].assign(**{f"stored_{c}": [] for c in NUMERIC_BAR_COLUMNS})
    frame = pd.concat(found)
    frame.index.name = None
    return frame


def describe(row: pd.Series) -> str:
    """``close 10.5 stored, 11 offered; high …`` for the values that differ."""
    parts = [
        f"{c} {row[f'stored_{c}']:g} stored, {row[c]:g} offered"
        for c in NUMERIC_BAR_COLUMNS
        if not (row[c] == row[f"stored_{c}"] or (pd.isna(row[c]) and pd.isna(row[f"stored_{c}"])))
    ]
    return "; ".join(parts)


def correction_findings(found: pd.DataFrame) -> pd.DataFrame:
    """One finding per correction: offered close as value, stored close as threshold."""
    return pd.DataFrame(
        {
            "row": found.index.to_numpy(dtype=np.int64),
            "symbol": found["symbol"].to_numpy(dtype=object),
            "event_timestamp": found["event_timestamp"].to_numpy(),
            "detector": RULE,
            "value": found["close"].to_numpy(dtype=np.float64),
            "threshold": found["stored_close"].to_numpy(dtype=np.float64),
            "detail": [describe(r) for _, r in found.iterrows()],
        }
    )[list(FINDING_COLUMNS)]


def settle(lake: BarLake, gate: GateResult, on_conflict: str) -> tuple[GateResult, pd.DataFrame]:
    """``gate`` under the policy (corrections held, or named in a finding each) and the
    corrections found; with ``replace`` the caller stores the found rows in place."""
    found = find_corrections(lake, gate.accepted)
    if on_conflict == "quarantine":
        return hold(gate, found), found
    if len(found):
        findings = pd.concat([gate.findings, correction_findings(found)], ignore_index=True)
        gate = with_fields(gate, findings=findings)
    return gate, found


def hold(gate: GateResult, found: pd.DataFrame) -> GateResult:
    """``gate`` with the corrections moved from accepted to rejected under rule ``correction``."""
    if found.empty:
        return gate
    moving = gate.accepted.loc[found.index]
    held = moving.assign(failed_rules=RULE)
    rejected = pd.concat([gate.rejected, held]).sort_index()
    rejected["failed_rules"] = rejected["failed_rules"].astype(str)
    counts = dict(gate.rule_counts)
    counts[RULE] = counts.get(RULE, 0) + len(found)
    warnings = gate.warnings.drop(index=found.index, errors="ignore")
    findings = pd.concat([gate.findings, correction_findings(found)], ignore_index=True)
    return with_fields(
        gate,
        accepted=gate.accepted.drop(index=found.index),
        rejected=rejected,
        rule_counts=counts,
        warnings=warnings,
        findings=findings,
    )
