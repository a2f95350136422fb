"""What an import reports: gate options, per-file outcomes and the run's counts that add up."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from axiom_features.quality.metrics import BatchMetrics
from axiom_features.quality.rules import Rule, Severity, with_severities
from axiom_features.quality.suites import BAR_RULES


@dataclass(frozen=True)
class QualityOptions:
    """How the gate judges a batch beyond the default rules."""

    severities: dict[str, Severity | str] = field(default_factory=dict)
    """Rule name → severity, overriding the default (e.g. ``{"high_is_max": "block"}``)."""
    allowed_symbols: tuple[str, ...] | None = None
    """When set, other symbols fail ``allowed_symbol``."""
    reference_source: str | None = None
    """A provider already in the lake whose closes measure this batch's accuracy."""
    tolerance: float = 0.005
    """Relative close difference still counted as agreement with the reference."""
    now: datetime | None = None
    """The clock for ``future_bar`` and timeliness (default: now)."""
    engine: str = "auto"
    """Where checks run: ``gx``, ``duckdb`` (same verdicts) or ``auto`` (by batch size)."""
    on_conflict: str = "quarantine"
    """A bar whose key is stored with other values (a correction): ``quarantine`` it (rule
    ``correction``), ``replace`` the stored bar (its old version kept in the history), or
    ``keep`` the stored bar."""

    def __post_init__(self) -> None:
        if self.on_conflict not in ("quarantine", "replace", "keep"):
            raise ValueError(
                f"on_conflict: {self.on_conflict!r} is not one of quarantine, replace, keep"
            )

    def rules(self) -> list[Rule]:
        return with_severities(BAR_RULES, self.severities)


@dataclass(frozen=True)
class FileReport:
    """What happened to the rows of one input file (or in-memory frame)."""

    path: str
    rows_in: int
    accepted: int
    quarantined: int
    symbols: tuple[str, ...]
    notes: tuple[str, ...] = ()
    adj_close_ignored: bool = False


@dataclass
class ImportResult:
    """The outcome of one import run."""

    run_id: str
    source: str
    timezone: str
    use_adjusted: bool
    rows_in: int
    accepted: int
    quarantined: int
    new_rows: int
    """Accepted rows the lake did not hold yet."""
    already_present: int
    """Accepted rows whose key the lake already held (nothing written for them)."""
    conflicts: int
    """Of ``already_present``, rows whose values differ from the stored row (stored row kept)."""
    corrections: int = 0
    """Accepted or held rows whose key was stored with other values (see ``on_conflict``)."""
    replaced: int = 0
    """Corrections that replaced the stored bar (``on_conflict="replace"``)."""
    on_conflict: str = "quarantine"
    already_held: int = 0
    """Of ``quarantined``, rows an earlier run holds already (not stored a second time)."""
    hints: list[str] = field(default_factory=list)
    """Advice about the options, e.g. the calendar that fits the bars."""
    rule_counts: dict[str, int] = field(default_factory=dict)
    files: list[FileReport] = field(default_factory=list)
    quarantine_path: Path | None = None
    warned: int = 0
    """Accepted rows that failed a ``warn`` rule."""
    findings: int = 0
    """Detector findings recorded for the run."""
    metrics: BatchMetrics | None = None

    def __post_init__(self) -> None:
        if self.rows_in != self.accepted + self.quarantined:
            raise AssertionError(
                f"rows_in {self.rows_in} != accepted {self.accepted} + "
                f"quarantined {self.quarantined}"
            )
        if self.accepted != self.new_rows + self.already_present + self.replaced:
            raise AssertionError(
                f"accepted {self.accepted} != new {self.new_rows} + present "
                f"{self.already_present} + replaced {self.replaced}"
            )

    @property
    def adj_close_ignored(self) -> bool:
        """True when some file had an Adj Close column that was not applied."""
        return any(f.adj_close_ignored for f in self.files)
