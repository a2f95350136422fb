"""Quality metrics per batch: dimensions, score, the stored series and its anomalies."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from axiom_features.ingest import QualityOptions, import_frame
from axiom_features.paths import RepoPaths
from axiom_features.quality.metrics import (
    WEIGHTS,
    MetricStore,
    detect_metric_anomalies,
    quality_score,
)
from tests.quality_helpers import NOW, clean_bars

AXIOM = str(Path(sys.executable).with_name("axiom"))


@pytest.fixture
def repo(tmp_path: Path) -> RepoPaths:
    return RepoPaths(tmp_path / "repo")


def test_weights_add_up_to_one_and_the_score_renormalises_missing_dimensions():
    assert sum(WEIGHTS.values()) == pytest.approx(1.0)
    perfect = dict.fromkeys(WEIGHTS, 1.0)
    assert quality_score(perfect) == 100.0
    assert quality_score({**perfect, "accuracy": None}) == 100.0
    assert quality_score({**perfect, "completeness": 0.0}) == 75.0


def test_a_clean_fresh_batch_scores_100(repo):
    result = import_frame(
        clean_bars(2, 60), repo, run_id="r", source="s", quality=QualityOptions(now=NOW)
    )
    m = result.metrics
    assert (m.completeness, m.consistency, m.uniqueness, m.timeliness) == (1.0, 1.0, 1.0, 1.0)
    assert m.accuracy is None and m.score == 100.0 and m.frequency == "daily"


def test_each_dimension_measures_its_faults(repo):
    bars = clean_bars(2, 60)
    bars.loc[0:5, "close"] = np.nan  # 6 of 120*7 values missing
    bars.loc[10, "high"] = bars.loc[10, "low"] * 0.5  # inconsistent
    bars = pd.concat([bars, bars.iloc[[20, 21]]], ignore_index=True)  # 2 duplicates
    later = pd.Timestamp(NOW) + pd.Timedelta(days=10)  # 6 sessions after the newest bar

    m = import_frame(bars, repo, run_id="r", source="s", quality=QualityOptions(now=later)).metrics

    assert m.completeness == pytest.approx(1 - 6 / (122 * 7), abs=1e-6)
    assert m.consistency == pytest.approx(1 - 1 / 122, abs=1e-6)
    assert m.uniqueness == pytest.approx(1 - 2 / 122, abs=1e-6)
    assert m.timeliness == pytest.approx(1 / 7, abs=1e-6)
    assert 0 < m.score < 100


def test_accuracy_is_agreement_with_a_reference_provider(repo):
    reference = clean_bars(2, 60)
    import_frame(reference, repo, run_id="r0", source="ref", quality=QualityOptions(now=NOW))
    mine = reference.copy()
    mine.loc[:11, ["open", "high", "low", "close"]] *= 1.02  # 12 of 120 off by 2%

    options = QualityOptions(now=NOW, reference_source="ref", tolerance=0.005)
    m = import_frame(mine, repo, run_id="r1", source="mine", quality=options).metrics

    assert m.accuracy == pytest.approx(108 / 120)


def _series(values: list[float]) -> pd.DataFrame:
    n = len(values)
    return pd.DataFrame(
        {
            "run_id": [f"r{i:02d}" for i in range(n)],
            "measured_at": [f"2026-01-{i + 1:02d}T00:00:00" for i in range(n)],
            "completeness": values,
        }
    )


def test_a_steady_series_has_no_anomalies():
    values = list(0.998 + 0.001 * np.sin(np.arange(20)))
    assert detect_metric_anomalies(_series(values)).empty


def test_an_injected_drop_is_found_by_both_strategies():
    values = [0.999] * 12 + [0.80] + [0.999] * 3
    found = detect_metric_anomalies(_series(values))
    at_drop = found[found["run_id"] == "r12"]
    assert set(at_drop["method"]) == {"rate_of_change", "rolling_band"}
    assert at_drop["metric"].unique().tolist() == ["completeness"]


def test_a_slow_drift_out_of_the_band_is_found_without_a_big_step():
    values = [0.999] * 10 + [0.96]
    found = detect_metric_anomalies(_series(values))
    assert found["method"].tolist() == ["rolling_band"]


@pytest.mark.e2e
def test_cli_metrics_json_returns_the_last_runs_and_flags_the_injected_anomaly(repo):
    options = QualityOptions(now=NOW)
    for k in range(7):
        bars = clean_bars(2, 40, seed=k)
        if k == 6:
            bars.loc[:15, "volume"] = np.nan  # a bad batch: completeness drops
        import_frame(bars, repo, run_id=f"2026063{k}T000000Z-run", source="s", quality=options)

    done = subprocess.run(
        [AXIOM, "--repo", str(repo.root), "quality", "metrics", "--json", "--last", "5"],
        capture_output=True,
        text=True,
    )

    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    assert [m["run_id"] for m in payload["metrics"]] == [
        f"2026063{k}T000000Z-run" for k in range(2, 7)
    ]
    assert {a["run_id"] for a in payload["anomalies"]} == {"20260636T000000Z-run"}
    assert "completeness" in {a["metric"] for a in payload["anomalies"]}
    assert len(MetricStore(repo).series()) == 7
