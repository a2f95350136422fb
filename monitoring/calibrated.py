"""Drift judged against each feature's own variation: the method for market features.

The reference window is cut into chunks as long as the current window. Every statistic is
computed twice: for the current window against the whole reference, and for each chunk
against the rest of the reference. The chunks' values are the feature's normal variation
(a volatility spike, a trending month, an earnings season inside the reference are part of
it), so a feature is flagged only when the current window is unlike any stretch of its own
history, never against one cut-off shared by all features.

================= ============================================= ===========================
check             statistic (current vs reference)              flagged when
================= ============================================= ===========================
distribution      KS distance of the sketches; only natures      BH-significant (log-normal
                  whose values are stationary                    fit of the chunks' values)
                                                                 and >= max(``min_ks``,
                                                                 ``ks_margin`` x chunks' max)
missing           share of missing values                       >= chunks' max +
                                                                 ``missing_floor`` and
                                                                 >= ``step_margin`` x max
constant_runs     share of values equal to the symbol's          Poisson tail, BH-significant,
                  previous one (levels, sums, return-like)      and >= ``step_margin`` x max
jumps             share of steps > 40% (levels, sums only)      as constant_runs
range             max(|median shift| / reference 5-95% spread,  >= max(``range_floor``,
                  |log spread ratio|); step natures: quartiles   ``range_margin`` x max)
type              infinite values where the reference has none  any
================= ============================================= ===========================

Step natures (quarterly fundamentals) change only when a filing arrives, so a window holds
about one value per symbol, not one per row: with twenty symbols its 5% and 95% quantiles
are one company's filing each, and three loss quarters in one month move them as far as a
unit change would. Their range check reads the quartiles instead, which a few companies'
filings do not move and a unit or scale change moves like any quantile; their range and
distribution checks need ``min_step_symbols`` values a day (one or two companies have no
spread to compare). Their missing share moves in whole companies, so a rise is flagged only
when it reaches ``step_missing_companies`` companies' worth.

The p-values of one pass (all views, all features) go through Benjamini–Hochberg at
``fdr``, quality tests and distribution tests as two families, so hundreds of features do
not turn chance into alerts and many faults do not loosen the distribution threshold.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from scipy import stats

from monitoring.daily_profiles import ColumnSketch, DaySketch, merge_days
from monitoring.drift import ks_statistic

Check = Literal["distribution", "missing", "constant_runs", "jumps", "range", "type"]
QUALITY_CHECKS: frozenset[str] = frozenset({"missing", "constant_runs", "jumps", "range", "type"})
"""Data-quality drift, reported apart from distribution drift."""
STATIONARY = frozenset({"bounded_oscillator", "return_like", "count", "fundamental", "categorical"})
NO_RUNS = frozenset({"categorical", "count", "fundamental", "bounded_oscillator"})
"""Natures that repeat by design (codes, tallies, filings, oscillators pinned at a bound):
constant runs are not checked."""
JUMPING = frozenset({"level", "cumulative"})
"""Natures whose steps between bars are checked."""
STEP = frozenset({"fundamental"})
"""Natures that change only when a filing arrives: about one value per symbol a window."""
TAILS, STEP_TAILS = (0.05, 0.95), (0.25, 0.75)
"""Quantiles whose distance is a window's spread: by default, and for step natures."""


class CalibratedConfig(BaseModel):
    """Margins and error rates of the calibrated method."""

    model_config = ConfigDict(extra="forbid")

    min_chunks: int = Field(default=4, ge=2)
    """Reference chunks needed before a feature is judged."""

    fdr: float = Field(default=0.001, gt=0, lt=1)
    """False discovery rate of the Benjamini–Hochberg procedure over one pass."""

    min_ks: float = Field(default=0.1, ge=0, le=1)
    """Smallest KS distance that counts as distribution drift."""

    ks_margin: float = Field(default=1.5, ge=1)
    """Distribution drift needs this multiple of the largest KS distance between chunks."""

    missing_floor: float = Field(default=0.02, ge=0, le=1)
    """Missing share above the chunks' largest by at least this much (and at least
    ``step_margin`` times it)."""

    range_floor: float = Field(default=1.0, gt=0)
    """Smallest range score flagged (1 = the median moved by the whole 5-95% spread)."""

    range_margin: float = Field(default=3.0, ge=1)
    """Range drift needs this multiple of the largest range score between chunks."""

    min_step_symbols: int = Field(default=10, ge=1)
    """Step natures: the range and distribution checks need this many values a day on
    average, in the current window and in the reference."""

    step_missing_companies: int = Field(default=2, ge=1)
    """Step natures: a rise of the missing share flagged must also reach this many
    companies' worth (one company whose free cash flow turns negative leaves its cash-flow
    ratios missing for a whole quarter)."""

    step_margin: float = Field(default=2.0, ge=1)
    """Constant runs and jumps need this multiple of the chunks' largest rate."""

    min_steps: int = Field(default=5, ge=1)
    """Constant runs and jumps need at least this many occurrences."""


@dataclass
class Finding:
    """One feature's departure from its own history, by one check."""

    view: str
    feature: str
    check: Check
    nature: str
    value: float
    """The current window's statistic."""
    usual: float
    """The largest value of the statistic between reference chunks."""
    limit: float
    """The value from which the check flags."""
    p_value: float | None = None
    since: str | None = None
    ratio: float | None = None
    """Range only: current median over reference median (a unit change reads 100)."""
    before: float | None = None
    """Range only: the reference's median."""
    after: float | None = None
    """Range only: the median of the current window's last day."""

    @property
    def quality(self) -> bool:
        return self.check in QUALITY_CHECKS

    @property
    def subject(self) -> str:
        return f"{self.view}:{self.feature}"


@dataclass
class ChunkStats:
    """One column's normal variation: each statistic of each chunk against the others."""

    missing: list[float]
    inf: bool
    """Whether any chunk holds infinite values."""
    range: list[float]
    step_range: list[float]
    """The range score between quartiles (step natures)."""
    ks: list[float]
    repeats: list[float]
    jumps: list[float]

    @classmethod
    def of(cls, chunks: list[ColumnSketch], rests: list[ColumnSketch]) -> ChunkStats:
        pairs = list(zip(chunks, rests, strict=True))
        return cls(
            missing=[_missing(c) for c in chunks],
            inf=any(c.inf for c in chunks),
            range=_finite(range_score(c, r) for c, r in pairs),
            step_range=_finite(range_score(c, r, STEP_TAILS) for c, r in pairs),
            ks=[v for v in (_ks(c, r) for c, r in pairs) if math.isfinite(v)],
            repeats=[c.repeats / c.count if c.count else 0.0 for c in chunks],
            jumps=[c.jumps / c.count if c.count else 0.0 for c in chunks],
        )


@dataclass
class ReferenceSummary:
    """What a check needs of its reference: the merged sketch and each column's chunk
    statistics. It depends only on the reference days, so it can be kept between checks."""

    reference: DaySketch
    stats: dict[str, ChunkStats]
    chunks: int
    days: list[str]

    @classmethod
    def of(cls, chunks: list[list[DaySketch]]) -> ReferenceSummary:
        merged = [merge_days(c) for c in chunks if c]
        days = [d.day for chunk in chunks for d in chunk]
        if not merged:
            return cls(DaySketch("", {}), {}, 0, days)
        rests = _leave_one_out(merged) if len(merged) > 1 else merged
        reference = merge_days(merged)
        stats = {}
        for name in reference.columns:
            cols = [c.columns.get(name) for c in merged]
            rest_cols = [r.columns.get(name) for r in rests]
            if all(c is not None for c in cols) and all(r is not None for r in rest_cols):
                stats[name] = ChunkStats.of(cols, rest_cols)  # type: ignore[arg-type]
        return cls(reference, stats, len(merged), days)


@dataclass
class ViewWindows:
    """Day sketches of one view: the current window's days and the reference chunks (or
    their summary, when it was kept from an earlier check)."""

    view: str
    current: list[DaySketch]
    chunks: list[list[DaySketch]] = field(default_factory=list)
    summary: ReferenceSummary | None = None

    def reference(self) -> ReferenceSummary:
        if self.summary is None:
            self.summary = ReferenceSummary.of(self.chunks)
        return self.summary

    @property
    def reference_days(self) -> list[str]:
        if self.summary is not None:
            return self.summary.days
        return [d.day for chunk in self.chunks for d in chunk]


@dataclass
class ViewCheck:
    """One view's candidates (p-values still to be controlled) and its scores per feature."""

    view: str
    findings: list[Finding]
    scores: dict[str, dict[str, float]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)


def chunk_days(reference: Sequence[str], length: int) -> list[list[str]]:
    """The latest reference days cut into consecutive chunks of ``length`` days."""
    usable = len(reference) - len(reference) % length
    days = list(reference)[len(reference) - usable :]
    return [days[i : i + length] for i in range(0, usable, length)]


def check_windows(
    windows: ViewWindows, natures: dict[str, str], config: CalibratedConfig
) -> ViewCheck:
    """Every feature of the view checked against its chunks (before multiple testing)."""
    result = ViewCheck(windows.view, [])
    summary = windows.reference()
    if summary.chunks < config.min_chunks:
        result.skipped = {"*": f"{summary.chunks} reference chunks (< {config.min_chunks})"}
        return result
    current = merge_days(windows.current)
    for name, cur in current.columns.items():
        nature = natures.get(name)
        if nature is None:
            result.skipped[name] = "no nature in the catalogue"
            continue
        ref = summary.reference.columns.get(name)
        stats = summary.stats.get(name)
        if ref is None or stats is None or cur.count == 0 or ref.count == 0:
            result.skipped[name] = "no values to compare"
            continue
        days = [(d.day, d.columns[name]) for d in windows.current if name in d.columns]
        feature = _FeatureWindows(windows.view, name, nature, cur, ref, stats, days,
                                  len(summary.days))  # fmt: skip
        found, scores = feature.check(config)
        result.findings += found
        result.scores[name] = scores
    return result


def control_false_discoveries(checks: Sequence[ViewCheck], fdr: float) -> list[Finding]:
    """Findings that hold after Benjamini–Hochberg over every p-value of ``checks``."""
    findings = [f for c in checks for f in c.findings]
    kept: set[int] = set()
    for family in (True, False):  # quality and distribution tests are controlled apart, so
        tested = sorted(  # many quality faults do not loosen the distribution threshold
            (f for f in findings if f.p_value is not None and f.quality == family),
            key=lambda f: f.p_value,
        )
        cutoff = -1
        for rank, finding in enumerate(tested, start=1):
            if finding.p_value <= fdr * rank / max(len(tested), 1):  # type: ignore[operator]
                cutoff = rank
        kept |= set(map(id, tested[:cutoff])) if cutoff > 0 else set()
    return [f for f in findings if f.p_value is None or id(f) in kept]


@dataclass
class _FeatureWindows:
    view: str
    name: str
    nature: str
    current: ColumnSketch
    reference: ColumnSketch
    stats: ChunkStats
    days: list[tuple[str, ColumnSketch]]
    reference_days: int

    def check(self, config: CalibratedConfig) -> tuple[list[Finding], dict[str, float]]:
        found: list[Finding] = []
        scores: dict[str, float] = {}
        checks: list[tuple[Check, Callable[[CalibratedConfig], Finding | None]]] = [
            ("missing", self._missing),
            ("type", self._type),
        ]
        comparable = self._enough_values(config)
        if self.nature != "categorical" and comparable:
            checks.append(("range", self._range))
        if self.nature in STATIONARY and comparable:
            checks.append(("distribution", self._distribution))
        if self.nature not in NO_RUNS:
            checks.append(("constant_runs", self._repeats))
        if self.nature in JUMPING:
            checks.append(("jumps", self._jumps))
        for check, run in checks:
            finding = run(config)
            if finding is not None:
                finding.since = self._since(check, finding.limit)
                found.append(finding)
        if self.nature in STATIONARY:
            scores["ks"] = self.ks_now
        scores["range"] = self.range_now
        scores["missing_share"] = _missing(self.current)
        return found, scores

    @cached_property
    def ks_now(self) -> float:
        return _ks(self.current, self.reference)

    @property
    def tails(self) -> tuple[float, float]:
        return STEP_TAILS if self.nature in STEP else TAILS

    @cached_property
    def range_now(self) -> float:
        return range_score(self.current, self.reference, self.tails)

    def _enough_values(self, config: CalibratedConfig) -> bool:
        """Step natures only: enough values a day in both windows for a distribution."""
        if self.nature not in STEP:
            return True
        per_day = (self.current.count / max(len(self.days), 1),
                   self.reference.count / max(self.reference_days, 1))  # fmt: skip
        return min(per_day) >= config.min_step_symbols

    def _finding(self, check: Check, value: float, usual: float, limit: float,
                 p_value: float | None = None) -> Finding:  # fmt: skip
        return Finding(self.view, self.name, check, self.nature, value, usual, limit, p_value)

    def _missing(self, config: CalibratedConfig) -> Finding | None:
        usual = max(self.stats.missing)
        value = _missing(self.current)
        floor = config.missing_floor
        if self.nature in STEP:
            companies = self.current.n / max(len(self.days), 1)
            floor = max(floor, config.step_missing_companies / max(companies, 1.0))
        limit = max(usual + floor, config.step_margin * usual)
        return self._finding("missing", value, usual, limit) if value >= limit else None

    def _type(self, config: CalibratedConfig) -> Finding | None:
        if self.current.inf and not self.stats.inf:
            return self._finding("type", self.current.inf / self.current.n, 0.0, 0.0)
        return None

    def _range(self, config: CalibratedConfig) -> Finding | None:
        usual = max(self.stats.step_range if self.nature in STEP else self.stats.range)
        value = self.range_now
        limit = max(config.range_floor, config.range_margin * usual)
        if not value >= limit:
            return None
        finding = self._finding("range", value, usual, limit)
        ref_median = _quantiles(self.reference)[1]
        last = _quantiles(self.days[-1][1])[1] if self.days else math.nan
        finding.ratio = last / ref_median if ref_median else None
        finding.before, finding.after = ref_median, last
        return finding

    def _distribution(self, config: CalibratedConfig) -> Finding | None:
        null = np.array(self.stats.ks)
        value = self.ks_now
        if len(null) < config.min_chunks or not math.isfinite(value):
            return None
        usual = float(null.max())
        limit = max(config.min_ks, config.ks_margin * usual)
        if value < limit:
            return None
        logs = np.log(null + 1e-3)
        spread = max(float(logs.std(ddof=1)), 0.15)
        p = float(stats.norm.sf((math.log(value + 1e-3) - float(logs.mean())) / spread))
        return self._finding("distribution", value, usual, limit, p)

    def _repeats(self, config: CalibratedConfig) -> Finding | None:
        return self._steps("constant_runs", self.stats.repeats, self.current.repeats, config)

    def _jumps(self, config: CalibratedConfig) -> Finding | None:
        return self._steps("jumps", self.stats.jumps, self.current.jumps, config)

    def _steps(
        self, check: Check, rates: list[float], k: int, config: CalibratedConfig
    ) -> Finding | None:
        n = self.current.count
        usual = max(rates)
        limit = config.step_margin * usual
        if k < config.min_steps or k / n < limit:
            return None
        expected = max(float(np.mean(rates)) * n, 0.5)
        p = float(stats.poisson.sf(k - 1, expected))
        return self._finding(check, k / n, usual, limit, p)

    def _since(self, check: Check, limit: float) -> str | None:
        """The first current day whose own statistic reaches the limit."""
        for day, col in self.days:
            if col.n == 0:
                continue
            value = self._day_value(check, col)
            if value >= limit and (check not in ("constant_runs", "jumps") or value > 0):
                return day
        return self.days[0][0] if self.days else None

    def _day_value(self, check: Check, col: ColumnSketch) -> float:
        if check == "missing":
            return _missing(col)
        if check == "type":
            return float(col.inf > 0)
        if check == "range":
            return range_score(col, self.reference, self.tails)
        if check == "distribution":
            return _ks(col, self.reference)
        steps = col.repeats if check == "constant_runs" else col.jumps
        return steps / col.count if col.count else 0.0


def _leave_one_out(chunks: list[DaySketch]) -> list[DaySketch]:
    """For each chunk, the merge of all the others (prefix and suffix merges)."""
    prefix: list[DaySketch | None] = [None]
    for chunk in chunks[:-1]:
        prefix.append(chunk if prefix[-1] is None else merge_days([prefix[-1], chunk]))
    suffix: list[DaySketch | None] = [None]
    for chunk in reversed(chunks[1:]):
        suffix.append(chunk if suffix[-1] is None else merge_days([chunk, suffix[-1]]))
    suffix.reverse()
    return [
        merge_days([p for p in (before, after) if p is not None])
        for before, after in zip(prefix, suffix, strict=True)
    ]


def _missing(col: ColumnSketch) -> float:
    return col.nan / col.n if col.n else 0.0


def _ks(a: ColumnSketch, b: ColumnSketch) -> float:
    if a.count == 0 or b.count == 0:
        return math.nan
    return ks_statistic(a.kll, b.kll)


def _quantiles(col: ColumnSketch, tails: tuple[float, float] = TAILS) -> list[float]:
    if col.count == 0:
        return [math.nan] * 3
    return list(col.kll.get_quantiles([tails[0], 0.5, tails[1]]))


def range_score(a: ColumnSketch, b: ColumnSketch, tails: tuple[float, float] = TAILS) -> float:
    """max(|median shift| in units of b's spread, |log ratio of the spreads|); a spread is
    the distance between the ``tails`` quantiles (5% and 95% by default)."""
    qa, qb = _quantiles(a, tails), _quantiles(b, tails)
    if math.isnan(qa[1]) or math.isnan(qb[1]):
        return math.nan
    size = max(abs(qa[1]), abs(qb[1]), 1e-12)
    tiny = 1e-6 * size
    spread_a, spread_b = max(qa[2] - qa[0], 0.0), max(qb[2] - qb[0], 0.0)
    shift = abs(qa[1] - qb[1]) / max(spread_b, tiny)
    return max(shift, abs(math.log((spread_a + tiny) / (spread_b + tiny))))


def _finite(values) -> list[float]:  # noqa: ANN001 - any iterable of floats
    kept = [v for v in values if math.isfinite(v)]
    return kept or [0.0]
