"""A plain ``feast materialize-incremental`` leaves, per view, a profile of the rows written."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.dataset as ds

from axiom_features.paths import RepoPaths
from axiom_features.pipeline import jobs
from axiom_features.synthetic.bars import generate_bars
from monitoring.profile_store import ProfileStore
from monitoring.profiling import profile_summary
from tests.conftest import copy_feature_repo

NOW = datetime.now(UTC).replace(microsecond=0)


def test_feast_materialize_incremental_profiles_every_view_with_its_row_count(
    tmp_path: Path,
) -> None:
    root = copy_feature_repo(tmp_path / "repo", project=f"m{uuid.uuid4().hex[:8]}")
    bars = generate_bars(["AXM", "BLQ", "CRX"], 60, seed=9, end=NOW)
    # CRX stops trading 3 weeks before the others: outside the first incremental window
    bars = bars[~((bars["symbol"] == "CRX") & (bars["event_timestamp"] > NOW - timedelta(days=21)))]
    cwd = os.getcwd()
    try:
        jobs.ingest_frame(root, bars, source="synthetic", origin="<test>")
        jobs.transform(root, views=["ta_overlap", "ta_momentum"])
        jobs.apply(root)
    finally:
        os.chdir(cwd)
    feast = Path(sys.executable).with_name("feast")
    done = subprocess.run(
        [str(feast), "materialize-incremental", NOW.strftime("%Y-%m-%dT%H:%M:%S"),
         "--views", "ta_overlap", "--views", "ta_momentum"],
        cwd=root, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    store = ProfileStore(RepoPaths(root).profiles)
    records = {r.feature_view: r for r in store.list(kind="materialization")}
    assert all(r.row_count > 0 for r in records.values())
    assert set(records) == {"ta_overlap", "ta_momentum"}
    for view, record in records.items():
        start, end = datetime.fromisoformat(record.start), datetime.fromisoformat(record.end)
        table = ds.dataset(RepoPaths(root).offline_view(view)).to_table(
            columns=["symbol", "event_timestamp"]
        )
        frame = table.to_pandas()
        in_window = frame[(frame["event_timestamp"] >= start) & (frame["event_timestamp"] < end)]
        expected = in_window["symbol"].nunique()
        assert expected == 2
        assert record.row_count == expected
        assert set(profile_summary(store.load(record))["count"]) == {expected}
