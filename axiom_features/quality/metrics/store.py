"""The metrics repository: one JSON record per batch, read back as a time series.

Like Deequ's metrics repository, anomaly detection on quality is then a query over stored
values, not a re-computation.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from axiom_features.paths import RepoPaths
from axiom_features.quality.metrics.dimensions import BatchMetrics
from axiom_features.quality.store import quality_dir, write_json


class MetricStore:
    """Batch metrics under ``data/quality/metrics/<run_id>.json``."""

    def __init__(self, repo: RepoPaths) -> None:
        self.root = quality_dir(repo) / "metrics"

    def append(self, metrics: BatchMetrics) -> Path:
        return write_json(self.root / f"{metrics.run_id}.json", metrics.to_dict())

    def series(self, last: int | None = None, source: str | None = None) -> pd.DataFrame:
        """Stored metrics, oldest first (the last ``last`` only), optionally of one source."""
        files = sorted(self.root.glob("*.json")) if self.root.exists() else []
        records = [json.loads(p.read_text()) for p in files]
        frame = pd.DataFrame(records, columns=list(BatchMetrics.__dataclass_fields__))
        if source is not None:
            frame = frame[frame["source"] == source]
        frame = frame.sort_values(["measured_at", "run_id"], kind="stable").reset_index(drop=True)
        return frame if last is None else frame.tail(last).reset_index(drop=True)
