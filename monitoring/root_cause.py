"""Root causes: findings grouped through the inputs their features are computed from.

A fault in one input moves every feature computed from it, so the findings of one pass
are explained greedily: the input (or the whole source, e.g. all bar columns) that
explains the most flagged features becomes an incident, ties going to the input with the
fewest dependent features (the most specific), until every finding is explained. The
volume fault is then one incident, "input `volume` changed (x100 in level) since
2026-10-30; 11 `ta_volume` features and 3 others affected", not fourteen alerts.

An incident is ``critical`` when any of its findings is a data-quality change (missing,
constant runs, jumps, range, type), ``warning`` when all are distribution shifts.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from monitoring.calibrated import Finding

SOURCES: dict[str, frozenset[str]] = {
    "bars": frozenset({"open", "high", "low", "close", "volume"}),
    "news": frozenset({"headline", "published_at"}),
}
"""Inputs that arrive together; a fault of the whole feed is named by its source."""

_KIND_WORDS = {
    "missing": "more missing values",
    "type": "infinite values",
    "constant_runs": "constant runs (repeated values)",
    "jumps": "jumps between bars",
    "distribution": "a distribution shift",
}


@dataclass
class Incident:
    """One cause and every flagged feature it explains."""

    cause: str
    """The input (or source) named as the cause, e.g. ``volume``."""
    severity: str
    since: str | None
    summary: str
    features: list[str]
    """``view:feature`` of every flagged feature explained by the cause."""
    checks: dict[str, int]
    """How many findings of each check the incident holds."""
    findings: list[dict[str, Any]] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"drift_cause:{self.cause}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def group_findings(
    findings: Sequence[Finding], inputs: Mapping[str, Sequence[str]]
) -> list[Incident]:
    """Incidents explaining ``findings``; ``inputs`` maps ``view:feature`` to its inputs
    for every checked feature (the dependents count makes a cause specific)."""
    members = _candidates(inputs)
    dependents = {
        cause: sum(1 for used in inputs.values() if set(used) & group)
        for cause, group in members.items()
    }
    remaining = list(findings)
    incidents = []
    while remaining:
        cover = {
            cause: [f for f in remaining if set(inputs.get(f.subject, ())) & group]
            for cause, group in members.items()
        }
        best = max(
            cover,
            key=lambda c: (len({f.subject for f in cover[c]}), -dependents[c], c),
            default=None,
        )
        if best is None or not cover[best]:
            for f in remaining:  # features without catalogue inputs: their own incident
                incidents.append(_incident(f.subject, [f], dependents=1))
            break
        incidents.append(_incident(best, cover[best], dependents[best]))
        taken = set(map(id, cover[best]))
        remaining = [f for f in remaining if id(f) not in taken]
    return sorted(incidents, key=lambda i: (i.severity != "critical", -len(i.features)))


def _candidates(inputs: Mapping[str, Sequence[str]]) -> dict[str, frozenset[str]]:
    names = {name for used in inputs.values() for name in used}
    groups = {name: frozenset({name}) for name in names}
    for source, columns in SOURCES.items():
        if len(columns & names) > 1:
            groups[source] = columns & names
    return groups


def _incident(cause: str, findings: list[Finding], dependents: int) -> Incident:
    quality = [f for f in findings if f.quality]
    lead = max(quality or findings, key=lambda f: (f.value / f.limit if f.limit else f.value))
    features = list(dict.fromkeys(f.subject for f in findings))
    views = Counter(s.split(":", 1)[0] for s in features)
    top_view, top_count = views.most_common(1)[0]
    others = len(features) - top_count
    since = min((f.since for f in findings if f.since), default=None)
    summary = (
        f"input `{cause}` changed ({_effect(lead, findings)})"
        + (f" since {since}" if since else "")
        + f"; {top_count} `{top_view}` feature{'s' if top_count != 1 else ''}"
        + (f" and {others} other{'s' if others != 1 else ''}" if others else "")
        + " affected"
    )
    return Incident(
        cause=cause,
        severity="critical" if quality else "warning",
        since=since,
        summary=summary,
        features=features,
        checks=dict(Counter(f.check for f in findings)),
        findings=[asdict(f) for f in findings],
    )


def _effect(lead: Finding, findings: Sequence[Finding]) -> str:
    if lead.check == "range":
        ratios = [f.ratio for f in findings if f.check == "range" and f.ratio and f.ratio > 0]
        if ratios:
            factor = max(ratios, key=lambda r: abs(math.log(r)))
            return f"×{_round(factor)} in level"
        return "range moved"
    if lead.check == "missing":
        return f"missing share {lead.usual:.0%} → {lead.value:.0%}"
    return _KIND_WORDS.get(lead.check, lead.check)


def _round(value: float) -> str:
    """Two significant digits: 100, 0.5, 2.5."""
    return f"{float(f'{value:.2g}'):g}"
