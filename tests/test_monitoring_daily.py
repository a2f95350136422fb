"""Day profiles: merges equal a profile of the same rows; the store lists, loads and prunes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from monitoring.daily_profiles import TIME_OF_DAY, profile_days
from monitoring.profile_store import ProfileStore
from monitoring.profiling import profile_frame, profile_summary
from monitoring.rollups import rollups, window_profile


def _frame(days: int = 30, per_day: int = 50, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    stamps = pd.date_range("2026-03-02 21:00", periods=days, freq="D", tz="UTC").repeat(per_day)
    frame = pd.DataFrame({"event_timestamp": stamps, "a": rng.normal(5, 2, len(stamps)),
                          "b": rng.lognormal(0, 1, len(stamps))})  # fmt: skip
    frame.loc[::17, "a"] = np.nan
    frame.loc[5, "b"] = np.inf
    return frame


def test_a_merged_window_has_the_counts_and_extremes_of_its_rows(tmp_path: Path) -> None:
    frame = _frame()
    store = ProfileStore(tmp_path)
    store.save_days(profile_days(frame), run_id="r1", feature_view="v")
    window = window_profile(store, "v", "2026-03-05", "2026-03-14")
    assert window is not None and window.days == 10 and window.rows == 500
    rows = frame[
        (frame["event_timestamp"] >= "2026-03-05") & (frame["event_timestamp"] < "2026-03-15")
    ]
    got = profile_summary(window.profile).drop(index=TIME_OF_DAY)  # the feed's clock, kept apart
    want = profile_summary(profile_frame(rows.drop(columns="event_timestamp")))
    for column in ("count", "null", "nan", "inf", "min", "max"):
        assert got[column].tolist() == want[column].tolist(), column
    assert got.loc["a", "mean"] == pytest.approx(want.loc["a", "mean"], rel=1e-9)
    assert got.loc["a", "stddev"] == pytest.approx(want.loc["a", "stddev"], rel=1e-9)
    assert got.loc["a", "median"] == pytest.approx(rows["a"].median(), abs=0.1)


def test_weekly_rollups_cover_every_day_once(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path)
    store.save_days(profile_days(_frame()), run_id="r1", feature_view="v")
    weeks = rollups(store, "v", "week")
    assert sum(w.days for w in weeks.values()) == 30
    assert sum(w.rows for w in weeks.values()) == 1500
    assert all(label.startswith("2026-W") for label in weeks)


def test_newer_bundles_supersede_days_and_prune_removes_emptied_ones(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path)
    frame = _frame()
    store.save_days(profile_days(frame.iloc[:500]), run_id="r1", feature_view="v")
    store.save_days(profile_days(frame), run_id="r2", feature_view="v")
    index = store.day_index("v")
    assert len(index) == 30 and {r.run_id for r, _ in index.values()} == {"r2"}
    removed = store.prune_days("v")
    assert [r.run_id for r in removed] == ["r1"]
    assert [r.run_id for r in store.list(kind="offline_daily")] == ["r2"]
    assert profile_summary(store.load(store.list()[0])).loc["a", "count"] == 1500


def test_the_transform_job_profiles_each_new_day_once(feature_repo: Path) -> None:
    from datetime import UTC, datetime

    from axiom_features.paths import RepoPaths
    from axiom_features.pipeline import jobs
    from axiom_features.synthetic.bars import generate_bars

    end = datetime(2026, 6, 30, 22, 0, tzinfo=UTC)
    bars = generate_bars(["AXM", "BLQ"], 40, seed=2, end=end)
    late = (bars["symbol"] == "BLQ") & (bars["event_timestamp"] == bars["event_timestamp"].max())
    jobs.ingest_frame(feature_repo, bars[~late], source="s", origin="<t>")
    jobs.transform(feature_repo, views=["ta_overlap"])
    store = ProfileStore(RepoPaths(feature_repo).profiles)
    first = store.day_index("ta_overlap")
    assert len(first) == 40 and sum(rows for _, rows in first.values()) == len(bars) - 1
    jobs.ingest_frame(feature_repo, bars[late], source="s", origin="<t>")  # BLQ's last bar
    jobs.transform(feature_repo, views=["ta_overlap"])
    records = store.list(feature_view="ta_overlap", kind="offline_daily")
    assert len(records) == 2 and list(records[-1].segments or {}) == [max(first)]
    assert sum(rows for _, rows in store.day_index("ta_overlap").values()) == len(bars)
