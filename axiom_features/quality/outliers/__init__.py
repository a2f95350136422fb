"""Outlier and anomaly detectors on bars: each returns per-row findings with its thresholds."""

from axiom_features.quality.outliers.detectors import (
    DETECTORS,
    calendar_gaps,
    return_outliers,
    reverting_spikes,
    stale_prices,
    volume_anomalies,
    zero_volume_runs,
)
from axiom_features.quality.outliers.findings import FINDING_COLUMNS, empty_findings

__all__ = [
    "DETECTORS",
    "FINDING_COLUMNS",
    "calendar_gaps",
    "empty_findings",
    "return_outliers",
    "reverting_spikes",
    "stale_prices",
    "volume_anomalies",
    "zero_volume_runs",
]
