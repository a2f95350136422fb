"""What a rule may need besides the rows: the clock, the exchange calendar, allowed symbols."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pandas as pd


@dataclass
class GateContext:
    """Settings of one validation, and what derived rules found along the way."""

    now: pd.Timestamp = field(default_factory=lambda: pd.Timestamp(datetime.now(UTC)))
    """Bars stamped after ``now + future_tolerance`` fail ``future_bar``."""
    calendar: str = "XNYS"
    """Exchange whose sessions and closes the calendar rules use."""
    allowed_symbols: Collection[str] | None = None
    """When set, a symbol outside it fails ``allowed_symbol``."""
    future_tolerance: pd.Timedelta = pd.Timedelta(minutes=5)
    engine: str = "auto"
    """Where checks run: ``gx``, ``duckdb`` (same verdicts) or ``auto`` (by batch size)."""
    findings: list[pd.DataFrame] = field(default_factory=list)
    """Per-row details (value, threshold) that detector rules left for the report."""

    _series: dict[int, tuple[pd.DataFrame, object]] = field(default_factory=dict, repr=False)

    def ordered(self, frame: pd.DataFrame):  # noqa: ANN201 - outliers.series.Ordered
        """``frame``'s per-series time order, computed once per batch for every rule."""
        from axiom_features.quality.outliers.series import ordered

        known = self._series.get(id(frame))
        if known is None or known[0] is not frame:
            known = (frame, ordered(frame))
            self._series = {id(frame): known}
        return known[1]

    def finding_frame(self) -> pd.DataFrame:
        """Every detail recorded, in the detectors' findings columns."""
        from axiom_features.quality.outliers.findings import FINDING_COLUMNS, empty_findings

        frames = [f for f in self.findings if len(f)]
        if not frames:
            return empty_findings()
        return pd.concat(frames, ignore_index=True)[list(FINDING_COLUMNS)]
