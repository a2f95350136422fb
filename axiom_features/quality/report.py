"""A run's quality report: verdict, rules with counts and examples, metrics, score, outliers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from axiom_features.paths import RepoPaths
from axiom_features.quality.metrics import MetricStore, detect_metric_anomalies
from axiom_features.quality.store import latest_verdict_run, read_findings, read_verdict


@dataclass
class QualityReport:
    run_id: str
    verdict: dict[str, Any]
    metrics: dict[str, Any] | None
    findings: pd.DataFrame
    anomalies: pd.DataFrame

    @property
    def blocked(self) -> bool:
        return self.verdict.get("status") == "blocked"

    def block_line(self) -> str:
        """One line naming the rule, the file and the rows that blocked the batch."""
        info = self.verdict.get("blocked") or {}
        locations = info.get("locations") or []
        rows = ", ".join(locations[:10]) if locations else "the whole batch"
        rule, where = info.get("rule"), info.get("where")
        return f"run {self.run_id} blocked by rule {rule} in {where}: rows {rows}"

    def finding_counts(self) -> dict[str, int]:
        if self.findings.empty:
            return {}
        return self.findings["detector"].value_counts().sort_index().to_dict()


def build_report(repo: RepoPaths, run_id: str | None = None) -> QualityReport:
    """The report of ``run_id`` (default: the newest run with a verdict)."""
    run = run_id or latest_verdict_run(repo)
    verdict = read_verdict(repo, run)
    series = MetricStore(repo).series()
    mine = series[series["run_id"] == run]
    metrics = mine.iloc[0].to_dict() if len(mine) else None
    anomalies = detect_metric_anomalies(series)
    return QualityReport(
        run_id=run,
        verdict=verdict,
        metrics=metrics,
        findings=read_findings(repo, run),
        anomalies=anomalies[anomalies["run_id"] == run].reset_index(drop=True),
    )
