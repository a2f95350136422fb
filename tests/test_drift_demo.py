"""The demo's monitoring path: quiet on the clean period, one critical incident for the fault.

The demo imports a clean period, checks its last sessions against a pinned baseline, then
imports sessions in which the vendor reports volume x100, and checks again. The calibrated
method judges each feature against its own variation between chunks of the baseline and
groups what it flags through the catalogue's feature inputs.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from axiom_features.pipeline.demo import DemoResult, run_demo
from tests.conftest import copy_feature_repo

NOW = datetime(2026, 11, 20, 22, 0, tzinfo=UTC)
pytestmark = pytest.mark.timeout(1800)  # the whole demo runs once for the module


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoResult:
    root = copy_feature_repo(tmp_path_factory.mktemp("drift"), project=f"d{uuid.uuid4().hex[:8]}")
    cwd = os.getcwd()
    try:
        return run_demo(root, symbols=8, days=280, workers=1, now=NOW)
    finally:
        os.chdir(cwd)


def _critical(result) -> list:  # noqa: ANN001 - MonitorResult
    return [i for i in result.causes if i.severity == "critical"]


def test_the_clean_period_raises_no_critical_incident(demo: DemoResult) -> None:
    assert demo.clean_monitoring is not None
    assert demo.clean_monitoring.drift, "the clean check compared no view"
    assert _critical(demo.clean_monitoring) == []
    assert not [a for a in demo.clean_monitoring.alerts if a.severity == "critical"]


def test_the_volume_fault_is_exactly_one_critical_incident_naming_volume(
    demo: DemoResult,
) -> None:
    incidents = _critical(demo.monitoring)
    assert len(incidents) == 1, "\n".join(i.summary for i in demo.monitoring.causes)
    incident = incidents[0]
    assert incident.cause == "volume"
    assert incident.summary.startswith("input `volume` changed (×100 in level) since ")
    assert {"ta_math:sum_volume_20", "ta_math:mult_close_volume"} <= set(incident.features)
    critical = [a for a in demo.monitoring.alerts if a.severity == "critical"]
    assert [a.key for a in critical] == ["drift_cause:volume"]


def test_the_fault_is_dated_from_its_first_session(demo: DemoResult) -> None:
    incident = _critical(demo.monitoring)[0]
    first_faulty = min(r.current["start"] for r in demo.monitoring.drift)
    assert incident.since == first_faulty


def test_every_flagged_feature_reads_volume(demo: DemoResult) -> None:
    from transforms.catalogue import catalogue

    incident = _critical(demo.monitoring)[0]
    for subject in incident.features:
        view, name = subject.split(":")
        assert (
            "volume"
            in catalogue()
            .view(view)
            .features[catalogue().view(view).feature_names.index(name)]
            .inputs
        )


def test_drift_reports_are_stored_by_the_calibrated_method(demo: DemoResult) -> None:
    root = Path(demo.incoming_file).parents[2]
    from axiom_features.ops.monitor import drift_store

    reports = drift_store(root).list("ta_volume")
    assert reports and reports[-1].meta["method"] == "calibrated"
    assert reports[-1].drifted_features, "no ta_volume feature flagged after the fault"


def test_each_materialization_checks_the_drift_of_the_views_it_wrote(demo: DemoResult) -> None:
    from axiom_features.ops.monitor import drift_store

    root = Path(demo.incoming_file).parents[2]
    checked = {
        r.feature_view for r in drift_store(root).list() if r.run_id == demo.materialize_run_id
    }
    assert {"ta_volume", "microstructure", "fundamentals_valuation"} <= checked
