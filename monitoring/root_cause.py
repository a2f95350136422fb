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

TIME_OF_DAY_INPUT = "event_timestamp"
"""The input of the time-of-day column every day profile carries."""

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
    """The input, source or view named as the cause, e.g. ``volume``."""
    cause_kind: str
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
    for every checked feature (the dependents count makes a cause specific).

    Candidates are each input, each source (all its columns) and each view (a fault of
    one view's job, such as a burst of missing values, names the view). Ties go to an input,
    then a view, then a source, then to the fewest dependent features.
    """
    members = _candidates(inputs)
    dependents = {
        cause: sum(1 for s, used in inputs.items() if _explains(cause, group, s, used))
        for cause, group in members.items()
    }
    remaining = list(findings)
    incidents = []
    while remaining:
        cover = {
            cause: [
                f for f in remaining if _explains(cause, group, f.subject, inputs.get(f.subject))
            ]
            for cause, group in members.items()
        }
        best = max(
            cover,
            key=lambda c: (len({f.subject for f in cover[c]}), _rank(c, members), -dependents[c]),
            default=None,
        )
        best = _as_source(_specific(best, cover, members, dependents), cover, members)
        if best is None or not cover[best]:
            for f in remaining:  # features without catalogue inputs: their own incident
                incidents.append(_incident(f.subject, "feature", [f], frozenset(), inputs))
            break
        kind = "view" if members[best] == _VIEW else "source" if best in SOURCES else "input"
        incidents.append(_incident(best, kind, cover[best], members[best], inputs))
        taken = set(map(id, cover[best]))
        remaining = [f for f in remaining if id(f) not in taken]
    return sorted(incidents, key=lambda i: (i.severity != "critical", -len(i.features)))


SPECIFIC_SHARE = 0.9
"""An input or view explaining this share of what a whole source explains is named instead
(one stray finding elsewhere must not turn a volume fault into a fault of every bar column)."""


def _specific(
    best: str | None,
    cover: Mapping[str, list[Finding]],
    members: Mapping[str, frozenset[str]],
    dependents: Mapping[str, int],
) -> str | None:
    if best not in SOURCES:
        return best
    size = len({f.subject for f in cover[best]})
    narrower = [
        c
        for c in cover
        if c not in SOURCES and len({f.subject for f in cover[c]}) >= max(2, SPECIFIC_SHARE * size)
    ]
    if not narrower:
        return best
    return max(
        narrower,
        key=lambda c: (len({f.subject for f in cover[c]}), _rank(c, members), -dependents[c]),
    )


def _as_source(
    best: str | None, cover: Mapping[str, list[Finding]], members: Mapping[str, frozenset[str]]
) -> str | None:
    """The source instead of ``best`` when every column of the source explains exactly the
    same features (a news outage moves headlines and their times alike)."""
    for source, columns in SOURCES.items():
        if best in columns and source in members:
            explained = {f.subject for f in cover[best]}
            if all({f.subject for f in cover.get(c, [])} == explained for c in members[source]):
                return source
    return best


def _rank(cause: str, members: Mapping[str, frozenset[str]]) -> int:
    """Between causes explaining as many features: an input, then a view, then a source (a
    view whose features no single input explains is its own job's fault, not the feed's)."""
    if members[cause] == _VIEW:
        return 1
    return 0 if cause in SOURCES else 2


def _explains(cause: str, group: frozenset[str], subject: str, used) -> bool:  # noqa: ANN001
    if group == _VIEW:
        return subject.split(":", 1)[0] == cause
    return bool(set(used or ()) & group)


_VIEW = frozenset({"<view>"})


def _candidates(inputs: Mapping[str, Sequence[str]]) -> dict[str, frozenset[str]]:
    names = {name for used in inputs.values() for name in used}
    groups = {name: frozenset({name}) for name in names}
    for source, columns in SOURCES.items():
        if len(columns & names) > 1:
            groups[source] = columns & names
    for view in {s.split(":", 1)[0] for s in inputs}:
        groups.setdefault(view, _VIEW)
    return groups


def _incident(
    cause: str,
    kind: str,
    findings: list[Finding],
    group: frozenset[str],
    inputs: Mapping[str, Sequence[str]],
) -> Incident:
    quality = [f for f in findings if f.quality]
    lead = max(quality or findings, key=lambda f: f.value / f.limit if f.limit else f.value)
    features = list(dict.fromkeys(f.subject for f in findings))
    since = min((f.since for f in findings if f.since), default=None)
    summary = (
        f"{kind} `{cause}` changed ({_effect(cause, lead, findings, group, inputs)})"
        + (f" since {since}" if since else "")
        + f"; {_affected(features)} affected"
    )
    return Incident(
        cause=cause,
        cause_kind=kind,
        severity="critical" if quality else "warning",
        since=since,
        summary=summary,
        features=features,
        checks=dict(Counter(f.check for f in findings)),
        findings=[asdict(f) for f in findings],
    )


def _affected(features: list[str]) -> str:
    """ "11 `ta_volume` features and 3 others", or "`x` of 21 views" for one column name."""
    names = {s.split(":", 1)[1] for s in features}
    if len(names) == 1 and len(features) > 1:
        return f"`{names.pop()}` of {len(features)} views"
    top_view, top_count = Counter(s.split(":", 1)[0] for s in features).most_common(1)[0]
    others = len(features) - top_count
    return f"{top_count} `{top_view}` feature{'s' if top_count != 1 else ''}" + (
        f" and {others} other{'s' if others != 1 else ''}" if others else ""
    )


def _effect(
    cause: str,
    lead: Finding,
    findings: Sequence[Finding],
    group: frozenset[str],
    inputs: Mapping[str, Sequence[str]],
) -> str:
    clock = [f for f in findings if f.check == "range" and f.before is not None]
    if cause == TIME_OF_DAY_INPUT and clock:
        return f"time of day {clock[0].before:.4g} h → {clock[0].after:.4g} h UTC"
    factor = level_factor(findings, group, inputs)
    if factor:  # a change of level says most, whichever check flagged first
        return f"×{_round(factor)} in level"
    if lead.check == "range":
        return "range moved"
    if lead.check == "missing":
        return f"missing share {lead.usual:.0%} → {lead.value:.0%}"
    return _KIND_WORDS.get(lead.check, lead.check)


def level_factor(
    findings: Sequence[Finding], group: frozenset[str], inputs: Mapping[str, Sequence[str]]
) -> float | None:
    """How many times the cause's level changed, read from the flagged level features:
    those computed from the cause alone when there are any (a sum of volume moves with
    volume; a product with price also moves with price), the largest change among them."""
    levels = [f for f in findings if f.check == "range" and f.nature == "level" and f.ratio]
    ratios = [f.ratio for f in levels if f.ratio > 0 and set(inputs.get(f.subject, ())) <= group]
    ratios = ratios or [f.ratio for f in levels if f.ratio > 0]
    return max(ratios, key=lambda r: abs(math.log(r))) if ratios else None


def _round(value: float) -> str:
    """A power of ten when within 25% of one (units change by those), else two digits."""
    exponent = round(math.log10(value))
    if abs(math.log10(value) - exponent) < math.log10(1.25):
        return f"{10.0**exponent:g}"
    return f"{float(f'{value:.2g}'):g}"
