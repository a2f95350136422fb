"""The job that stores new day profiles prepares the drift reference they move.

Each new day moves a view's reference (the stored days before the checked window), and its
summary costs far more than the check itself. The day profiling of a transform builds the
summary the next check will read, so the check after a materialization reads only its
current days, day after day.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from axiom_features.ops.monitor import drift_after_materialize, monitoring_dir
from axiom_features.ops.offline_profiles import profile_offline_days
from axiom_features.paths import RepoPaths
from tests.test_drift_after_materialize import ta_math_rows


def write_offline(root: Path, frame: pd.DataFrame) -> None:
    folder = RepoPaths(root).offline_view("ta_math")
    folder.mkdir(parents=True, exist_ok=True)
    for symbol, rows in frame.groupby("symbol"):
        rows.to_parquet(folder / f"{symbol}.parquet", index=False)


def kept_summaries(root: Path) -> dict[str, float]:
    folder = monitoring_dir(root) / "references" / "ta_math"
    return {p.name: p.stat().st_mtime_ns for p in folder.glob("*.json")}


def test_profiling_new_days_prepares_the_reference_of_the_next_check(tmp_path: Path) -> None:
    rows = ta_math_rows(1.0)
    last_day = rows["event_timestamp"].max()
    write_offline(tmp_path, rows[rows["event_timestamp"] < last_day])
    profile_offline_days(RepoPaths(tmp_path), {"ta_math": "v1"}, run_id="t1")
    prepared = kept_summaries(tmp_path)
    assert len(prepared) == 1

    assert drift_after_materialize(tmp_path, ["ta_math"], run_id="m1") == []
    assert kept_summaries(tmp_path) == prepared, "the check built its own reference"

    write_offline(tmp_path, rows)  # the next session: the reference moves by one day
    profile_offline_days(RepoPaths(tmp_path), {"ta_math": "v1"}, run_id="t2")
    moved = kept_summaries(tmp_path)
    assert len(moved) == 2
    assert drift_after_materialize(tmp_path, ["ta_math"], run_id="m2") == []
    assert kept_summaries(tmp_path) == moved


def test_no_reference_is_prepared_when_checks_after_materialization_are_off(
    tmp_path: Path,
) -> None:
    (tmp_path / "monitoring.yaml").write_text("drift_after_materialize: false\n")
    write_offline(tmp_path, ta_math_rows(1.0))
    profile_offline_days(RepoPaths(tmp_path), {"ta_math": "v1"}, run_id="t1")
    assert kept_summaries(tmp_path) == {}
