"""ProfileStore keeps profiles with their metadata, lists, loads, prunes, and shares safely."""

from __future__ import annotations

import json
import multiprocessing as mp
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from monitoring.profile_store import ProfileRecord, ProfileStore
from monitoring.profiling import profile_frame
from monitoring.whylogs_compat import ProfileView

START = datetime(2024, 1, 1, tzinfo=UTC)
END = datetime(2024, 1, 31, tzinfo=UTC)


def small_profile(rows: int = 50, seed: int = 0) -> ProfileView:
    rng = np.random.default_rng(seed)
    close = rng.normal(100, 5, rows)
    close[::10] = np.nan
    return profile_frame(pd.DataFrame({"close": close, "symbol": ["AAPL"] * rows}))


def save(store: ProfileStore, run_id: str, view: str = "bars_daily", **kw) -> ProfileRecord:
    args = dict(run_id=run_id, feature_view=view, start=START, end=END, row_count=50)
    return store.save(small_profile(), **(args | kw))


def test_save_then_load_keeps_metadata_and_counts(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path)
    view = small_profile()
    record = store.save(
        view,
        run_id="run-1",
        feature_view="bars_daily",
        start="2024-01-01T05:00:00+05:00",
        end=END,
        row_count=50,
        feature_view_version="v3",
    )

    assert (tmp_path / "run-1" / "bars_daily.bin").is_file()
    assert store.list() == [record]
    assert record.start == "2024-01-01T00:00:00+00:00"
    assert record.end == "2024-01-31T00:00:00+00:00"
    assert record.row_count == 50
    assert (record.kind, record.feature_view_version) == ("materialization", "v3")
    assert datetime.fromisoformat(record.created_at).tzinfo is not None
    loaded = store.load(record)
    for name in ("close", "symbol"):
        counts = loaded.get_column(name).get_metric("counts").to_summary_dict()
        assert counts == view.get_column(name).get_metric("counts").to_summary_dict()
    assert loaded.get_column("close").get_metric("counts").null.value == 5
    assert store.load(tmp_path / record.path).get_columns().keys() == {"close", "symbol"}


def test_list_filters_by_view_and_kind_oldest_first(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path)
    first = save(store, "r1")
    reference = save(store, "ref", kind="reference")
    other = save(store, "r2", view="fundamentals")
    last = save(store, "r3")

    assert store.list() == [first, reference, other, last]
    assert store.list(feature_view="bars_daily") == [first, reference, last]
    assert store.list(kind="reference") == [reference]
    assert store.latest("bars_daily") == last
    assert store.latest("bars_daily", kind="reference") == reference
    assert store.latest("unknown") is None


def test_prune_keeps_the_newest_per_view_and_kind(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path)
    bars = [save(store, f"r{i}") for i in range(5)]
    reference = save(store, "ref", kind="reference")
    funds = [save(store, f"r{i}", view="fundamentals") for i in range(3)]

    removed = store.prune(keep_last=2)

    def oldest_first(records: list[ProfileRecord]) -> list[ProfileRecord]:
        return sorted(records, key=lambda r: r.created_at)

    assert oldest_first(removed) == oldest_first([*bars[:3], funds[0]])
    assert store.list() == oldest_first([*bars[3:], reference, *funds[1:]])
    assert not (tmp_path / "r0").exists()  # both of its profiles went
    assert (tmp_path / "r3" / "bars_daily.bin").is_file()


def test_saving_the_same_run_and_view_replaces_it(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path)
    save(store, "r1", row_count=10)
    again = save(store, "r1", row_count=20)
    assert store.list() == [again]


@pytest.mark.parametrize(
    ("field", "value"),
    [("run_id", "../escape"), ("feature_view", "a/b"), ("run_id", ""), ("kind", "x y")],
)
def test_names_that_are_not_safe_file_names_are_refused(
    tmp_path: Path, field: str, value: str
) -> None:
    with pytest.raises(ValueError, match=field):
        save(ProfileStore(tmp_path), **({"run_id": "r1"} | {field: value}))


def test_times_must_carry_a_zone_and_be_ordered(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path)
    with pytest.raises(ValueError, match="time zone"):
        save(store, "r1", start=datetime(2024, 1, 1))
    with pytest.raises(ValueError, match="before start"):
        save(store, "r1", start=END, end=START)
    eastern = timezone(timedelta(hours=-5))
    record = save(store, "r2", end=datetime(2024, 1, 31, 19, tzinfo=eastern))
    assert record.end == "2024-02-01T00:00:00+00:00"


def test_an_unreadable_record_is_skipped(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path)
    good = save(store, "r1")
    (tmp_path / "r2").mkdir()
    (tmp_path / "r2" / "bars_daily.json").write_text("{not json")
    assert store.list() == [good]


def _save_many(root: Path, view: str, runs: int, barrier) -> None:
    store = ProfileStore(root)
    profile = small_profile()
    barrier.wait()
    for i in range(runs):
        store.save(
            profile, run_id=f"run-{i}", feature_view=view, start=START, end=END, row_count=50
        )


def test_two_processes_saving_at_once_leave_a_consistent_store(tmp_path: Path) -> None:
    runs = 25
    ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    barrier = ctx.Barrier(2)
    writers = [
        ctx.Process(target=_save_many, args=(tmp_path, view, runs, barrier))
        for view in ("bars_daily", "fundamentals")
    ]
    for w in writers:
        w.start()
    for w in writers:
        w.join(timeout=60)
        assert w.exitcode == 0

    store = ProfileStore(tmp_path)
    records = store.list()
    assert len(records) == 2 * runs
    assert {(r.run_id, r.feature_view) for r in records} == {
        (f"run-{i}", v) for i in range(runs) for v in ("bars_daily", "fundamentals")
    }
    for record in records:
        assert store.load(record).get_column("close").get_metric("counts").n.value == 50
        assert json.loads((tmp_path / record.path).with_suffix(".json").read_text())["path"]
    assert list(tmp_path.rglob("*.tmp")) == []
