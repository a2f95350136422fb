"""Fault injection: a small repo built once (ingest, transform, apply, materialize), copied
for each test, broken on purpose, then checked: health names the problem (never exit 0 with
a crashed run, never a false critical), no process is left behind, and a rerun or resume
gives stores identical to the uninterrupted build."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pytest

from tests.conftest import copy_feature_repo

END = datetime(2026, 6, 12, 20, 0, tzinfo=UTC)  # Friday close
CHECKED_AT = END + timedelta(hours=1)
SYMBOLS = ["AXM", "BLQ", "CRV"]
BARS = 120
VIEWS = ["ta_cycle", "ta_volume"]
"""Views the fault tests transform and materialize again (the build has every view)."""
RUN_STAMPS = {"created_timestamp", "ingest_run"}
"""Columns that hold when (or by which run) a row was written, not what was written."""


def bars_frame(days: int = BARS):  # noqa: ANN201 - pandas.DataFrame
    from axiom_features.synthetic.bars import generate_bars

    return generate_bars(SYMBOLS, days, seed=11, end=END)


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The uninterrupted build every fault test starts from and compares with."""
    from axiom_features.pipeline import jobs

    cwd = os.getcwd()
    root = copy_feature_repo(tmp_path_factory.mktemp("faults") / "built",
                             project=f"f{uuid.uuid4().hex[:8]}")  # fmt: skip
    jobs.ingest_frame(root, bars_frame(), source="synthetic", origin="<faults>")
    jobs.transform(root, workers=1)
    jobs.apply(root)
    jobs.materialize(root, END - timedelta(days=400), END)
    os.chdir(cwd)
    yield root


@pytest.fixture
def repo(built: Path, tmp_path: Path) -> Iterator[Path]:
    """A private copy of the build (its data, registry and SQLite online store)."""
    cwd = os.getcwd()
    copy = tmp_path / "repo"
    shutil.copytree(built, copy, ignore=shutil.ignore_patterns("locks"))
    yield copy
    os.chdir(cwd)


def table_snapshot(folder: Path) -> pa.Table:
    """Every row under ``folder`` without run stamps, in a stable order."""
    table = ds.dataset(folder, format="parquet").to_table()
    table = table.drop_columns([c for c in table.column_names if c in RUN_STAMPS])
    keys = [c for c in ("symbol", "event_timestamp", "source") if c in table.column_names]
    return table.sort_by([(k, "ascending") for k in keys])


def offline_snapshot(root: Path, views: list[str] = VIEWS) -> dict[str, pa.Table]:
    return {v: table_snapshot(root / "data" / "offline" / v) for v in views}


def lake_snapshot(root: Path) -> pa.Table:
    return table_snapshot(root / "data" / "lake" / "bars")


def online_snapshot(root: Path, views: list[str] = VIEWS) -> dict[str, list]:
    """Every feature value and event time of ``views`` online, per symbol."""
    from axiom_features.feature_store import open_store
    from transforms.catalogue import catalogue

    store = open_store(root)
    refs = [f"{v}:{f.name}" for v in views for f in catalogue().views[v].features]
    rows = [{"symbol": s} for s in SYMBOLS]
    found = store.get_online_features(features=refs, entity_rows=rows)
    return found.to_dict(include_event_timestamps=True)


def health(root: Path):  # noqa: ANN201 - HealthReport
    from axiom_features.ops.health import check_health

    return check_health(root, now=CHECKED_AT)


def problems(report) -> dict[tuple[str, str], tuple[str, str]]:  # noqa: ANN001
    """``(kind, name) → (status, detail)`` of every check that is not ok."""
    return {(c.kind, c.name): (c.status, c.detail) for c in report.checks if c.status != "ok"}


def same_rows(a: pa.Table, b: pa.Table) -> bool:
    """Whether two tables hold the same rows (NaN equals NaN)."""
    return a.column_names == b.column_names and a.to_pandas().equals(b.to_pandas())
