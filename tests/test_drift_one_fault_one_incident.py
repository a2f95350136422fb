"""One fault is one incident, whichever check finds it first and whatever it names it.

The check after a materialization covers the views it wrote; the monitoring pass covers every
view. Seeing more findings, the pass may explain the same fault by a wider cause (the whole
bar feed instead of its volume column). The two findings share features, so they are one
incident: opened and delivered once, under the name it was first given, kept open by both.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from axiom_features.ops.monitor import alert_manager, drift_after_materialize, monitor
from axiom_features.paths import RepoPaths
from monitoring.alerts import Alert
from monitoring.config import load_config
from monitoring.daily_profiles import profile_days
from monitoring.profile_store import ProfileStore
from tests.test_drift_after_materialize import DAYS, SYMBOLS, ta_math_rows

NOW = datetime(2026, 1, 1, tzinfo=UTC)
BURST_FEATURES = ("bbands_20_upperband", "bbands_20_middleband", "bbands_20_lowerband")


def ta_overlap_rows() -> pd.DataFrame:
    """Close-based levels of ``ta_overlap``; in the last 20 days the three Bollinger bands
    lose 60% of their values (the bar feed's close went missing for some symbols)."""
    rng = np.random.default_rng(1)
    days = pd.bdate_range("2025-01-01", periods=DAYS, tz="UTC") + pd.Timedelta(hours=21)
    close = np.exp(rng.uniform(2, 6, SYMBOLS))[:, None] * np.exp(
        np.cumsum(rng.normal(0, 0.01, (SYMBOLS, DAYS)), axis=1)
    )
    frame = pd.DataFrame(
        {
            "symbol": np.repeat([f"S{i}" for i in range(SYMBOLS)], DAYS),
            "event_timestamp": np.tile(days, SYMBOLS),
            "dema_30": close.ravel(),
        }
    )
    recent = frame["event_timestamp"] >= days[-20]
    lost = recent & (rng.uniform(size=len(frame)) < 0.6)
    for name, scale in zip(BURST_FEATURES, (1.02, 1.0, 0.98), strict=True):
        frame[name] = (close * scale).ravel()
        frame.loc[lost, name] = np.nan
    return frame


def faulty_repo(root: Path) -> Path:
    store = ProfileStore(RepoPaths(root).profiles)
    store.save_days(profile_days(ta_math_rows(100.0)), run_id="t1", feature_view="ta_math")
    store.save_days(profile_days(ta_overlap_rows()), run_id="t1", feature_view="ta_overlap")
    return root


def critical_openings(root: Path) -> list[str]:
    """Keys of the critical drift-cause incidents opened, in order."""
    history = alert_manager(root, load_config(root)).history()
    return [
        e["alert"]["key"]
        for e in history
        if e["event"] == "opened"
        and e["alert"]["severity"] == "critical"
        and e["alert"]["rule"] == "drift_cause"
    ]


def test_the_pass_after_the_materialization_check_keeps_one_incident(tmp_path: Path) -> None:
    root = faulty_repo(tmp_path)
    after_materialize = drift_after_materialize(root, ["ta_math"], run_id="m1")
    assert [a.key for a in after_materialize or []] == ["drift_cause:volume"]

    result = monitor(root, now=NOW, with_health=False)
    named = {i.cause for i in result.causes if i.severity == "critical"}
    assert named == {"bars"}, "the pass explains the same fault by the whole bar feed"

    assert critical_openings(root) == ["drift_cause:volume"]
    assert [a for a in result.delivered if a.rule == "drift_cause"] == []
    causes = [
        i for i in alert_manager(root, load_config(root)).open_incidents()
        if i["alert"]["rule"] == "drift_cause"
    ]  # fmt: skip
    assert [i["alert"]["key"] for i in causes] == ["drift_cause:volume"]
    incident = causes[0]
    assert "ta_overlap:bbands_20_upperband" in incident["alert"]["features"]
    critical = [
        a.key for a in result.alerts if a.severity == "critical" and a.rule == "drift_cause"
    ]
    assert critical == ["drift_cause:volume"]


def test_the_materialization_check_after_the_pass_keeps_one_incident(tmp_path: Path) -> None:
    root = faulty_repo(tmp_path)
    first = monitor(root, now=NOW, with_health=False)
    opened = [
        a.key for a in first.delivered if a.rule == "drift_cause" and a.severity == "critical"
    ]
    assert opened == ["drift_cause:bars"]

    assert drift_after_materialize(root, ["ta_math"], run_id="m1") == []
    assert critical_openings(root) == ["drift_cause:bars"]
    again = monitor(root, now=NOW, with_health=False)
    assert [a for a in again.delivered if a.rule == "drift_cause"] == []
    assert critical_openings(root) == ["drift_cause:bars"]


def test_faults_without_shared_features_stay_apart(tmp_path: Path) -> None:
    root = tmp_path
    store = ProfileStore(RepoPaths(root).profiles)
    store.save_days(profile_days(ta_math_rows(100.0)), run_id="t1", feature_view="ta_math")
    drift_after_materialize(root, ["ta_math"], run_id="m1")
    store.save_days(profile_days(ta_overlap_rows()), run_id="t2", feature_view="ta_overlap")
    drift_after_materialize(root, ["ta_overlap"], run_id="m2")
    assert critical_openings(root) == ["drift_cause:volume", "drift_cause:close"]


def test_a_wider_cause_joins_the_incident_it_shares_most_features_with(tmp_path: Path) -> None:
    manager = alert_manager(tmp_path, load_config(tmp_path))

    def cause(name: str, *features: str) -> Alert:
        return Alert(f"drift_cause:{name}", "drift_cause", "critical", name, "", name,
                     features=list(features))  # fmt: skip

    manager.process([cause("close", "v:a")], NOW, resolve=False)
    manager.process([cause("volume", "v:b", "v:c")], NOW, resolve=False)
    joined = manager.correlate([cause("bars", "v:a", "v:b", "v:c")], NOW)
    assert [a.key for a in joined] == ["drift_cause:volume"]
    assert joined[0].labels["seen_as"] == "bars"
