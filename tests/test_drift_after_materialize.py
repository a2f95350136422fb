"""The drift check a materialization runs for the views it wrote, on stored day profiles."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from axiom_features.ops.monitor import alert_manager, drift_after_materialize
from axiom_features.paths import RepoPaths
from monitoring.config import load_config
from monitoring.daily_profiles import profile_days
from monitoring.profile_store import ProfileStore

SYMBOLS, DAYS = 30, 260


def ta_math_rows(volume_factor: float) -> pd.DataFrame:
    """Catalogue columns of ``ta_math``: a volume sum and price levels, the last 20 days'
    volume multiplied by ``volume_factor``."""
    rng = np.random.default_rng(0)
    days = pd.bdate_range("2025-01-01", periods=DAYS, tz="UTC") + pd.Timedelta(hours=21)
    close = np.exp(rng.uniform(2, 6, SYMBOLS))[:, None] * np.exp(
        np.cumsum(rng.normal(0, 0.01, (SYMBOLS, DAYS)), axis=1)
    )
    volume = np.exp(rng.uniform(12, 16, SYMBOLS))[:, None] * np.exp(
        rng.normal(0, 0.3, (SYMBOLS, DAYS))
    )
    volume[:, -20:] *= volume_factor
    return pd.DataFrame(
        {
            "symbol": np.repeat([f"S{i}" for i in range(SYMBOLS)], DAYS),
            "event_timestamp": np.tile(days, SYMBOLS),
            "sum_volume_20": volume.ravel() * 20,
            "ln_close": np.log(close).ravel(),
            "sqrt_close": np.sqrt(close).ravel(),
        }
    )


def stored(root: Path, frame: pd.DataFrame) -> Path:
    ProfileStore(RepoPaths(root).profiles).save_days(
        profile_days(frame), run_id="t1", feature_view="ta_math"
    )
    return root


def test_a_clean_materialization_alerts_nothing(tmp_path: Path) -> None:
    root = stored(tmp_path, ta_math_rows(1.0))
    assert drift_after_materialize(root, ["ta_math"], run_id="m1") == []


def test_the_materialization_that_writes_a_volume_fault_alerts_it_once(tmp_path: Path) -> None:
    root = stored(tmp_path, ta_math_rows(100.0))
    delivered = drift_after_materialize(root, ["ta_math"], run_id="m1")
    assert [a.key for a in delivered] == ["drift_cause:volume"]
    assert delivered[0].severity == "critical"
    assert drift_after_materialize(root, ["ta_math"], run_id="m2") == []  # still the same incident
    history = alert_manager(root, load_config(root)).history()
    assert [e["event"] for e in history if e["alert"]["key"] == "drift_cause:volume"][:1] == [
        "opened"
    ]


def test_switched_off_in_monitoring_yaml(tmp_path: Path) -> None:
    root = stored(tmp_path, ta_math_rows(100.0))
    (root / "monitoring.yaml").write_text("drift_after_materialize: false\n")
    assert drift_after_materialize(root, ["ta_math"]) is None


def test_views_without_day_profiles_are_not_checked(tmp_path: Path) -> None:
    assert drift_after_materialize(tmp_path, ["ta_volume"]) == []
