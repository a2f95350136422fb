"""Quality metrics per batch (five dimensions and a score), their store and their anomalies."""

from axiom_features.quality.metrics.anomalies import detect_metric_anomalies
from axiom_features.quality.metrics.dimensions import (
    DIMENSIONS,
    WEIGHTS,
    BatchMetrics,
    compute_metrics,
    quality_score,
)
from axiom_features.quality.metrics.store import MetricStore

__all__ = [
    "DIMENSIONS",
    "WEIGHTS",
    "BatchMetrics",
    "MetricStore",
    "compute_metrics",
    "detect_metric_anomalies",
    "quality_score",
]
