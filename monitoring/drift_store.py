"""Drift reports as a time series: one JSON file per (view, check), read back as a frame."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

from monitoring.drift import DriftReport


class DriftStore:
    """``<root>/<view>/<checked_at>.json``; the files are the index."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def save(self, report: DriftReport) -> Path:
        folder = self.root / report.feature_view
        folder.mkdir(parents=True, exist_ok=True)
        stamp = report.checked_at.replace(":", "").replace("+", "p")
        path = folder / f"{stamp}.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(report.to_dict()))
        os.replace(tmp, path)
        return path

    def list(self, feature_view: str | None = None) -> list[DriftReport]:
        """Reports, oldest first."""
        pattern = f"{feature_view}/*.json" if feature_view else "*/*.json"
        reports = [
            DriftReport.from_dict(json.loads(p.read_text())) for p in self.root.glob(pattern)
        ]
        return sorted(reports, key=lambda r: (r.checked_at, r.feature_view))

    def latest(self) -> dict[str, DriftReport]:
        """The newest report of each view."""
        return {r.feature_view: r for r in self.list()}

    def frame(self, feature_view: str | None = None) -> pd.DataFrame:
        """One row per (check, feature): time, view, feature, method, score, status, windows."""
        rows = [
            {
                "checked_at": r.checked_at,
                "feature_view": r.feature_view,
                "feature": f.feature,
                "method": f.method,
                "score": f.scores.get(f.method) if f.method else None,
                "status": f.status,
                "current_start": r.current.get("start"),
                "current_end": r.current.get("end"),
                "reference_start": r.reference.get("start"),
                "reference_end": r.reference.get("end"),
            }
            for r in self.list(feature_view)
            for f in r.features
        ]
        return pd.DataFrame(rows)
