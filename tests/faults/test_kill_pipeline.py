"""``kill -9`` of ``axiom pipeline run`` under the production profile (real Redis and
PostgreSQL, Dagster's own storage in PostgreSQL too) during the ingest, the transform, the
PostgreSQL load and the materialization: each ``axiom pipeline resume`` goes on from where
the killed process stopped, the last one finishes, and the stores equal those of an
uninterrupted run (no duplicate rows, no partial files), while the run records say what
happened."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import psycopg
import pytest

from tests.conftest import copy_feature_repo
from tests.faults.conftest import (
    END,
    SYMBOLS,
    bars_frame,
    lake_snapshot,
    offline_snapshot,
    same_rows,
)
from tests.run_children import killed, processes_mentioning, run_child
from tests.services import scratch_database

VIEWS = ["ta_volume"]
DAY = END.strftime("%Y-%m-%d")

KILLED_PIPELINE = """
import os, signal, sys
from axiom_features.cli.app import cli

root, point, command = sys.argv[1], sys.argv[2], sys.argv[3:]

def die():
    os.kill(os.getpid(), signal.SIGKILL)

def after_first_call(module, name, owner=None):
    target = owner or module
    original = getattr(target, name)
    calls = []

    def wrapped(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            die()
        result = original(*args, **kwargs)
        if point == "ingest":
            die()  # the lake is written; the ingest's run record is still running
        return result

    setattr(target, name, wrapped)

if point == "ingest":
    from axiom_features.pipeline import jobs
    after_first_call(jobs, "import_bars")
elif point == "transform":
    from axiom_features.pipeline import jobs
    original = jobs.run_transform_job

    def transform_then_die(*args, **kwargs):
        kwargs["progress"] = lambda done, total: die() if done >= 1 else None
        return original(*args, **kwargs)

    jobs.run_transform_job = transform_then_die
elif point == "postgres_load":
    from axiom_features.offline import postgres_tables
    after_first_call(postgres_tables, "replace_key_rows")  # one symbol loaded, then killed
elif point == "materialize":
    from axiom_features.online import writer
    from axiom_features.materialize.fast_engine import FastComputeEngine
    original = FastComputeEngine.write_online

    def write_then_die(self, view, table):
        result = original(self, view, table)
        die()

    FastComputeEngine.write_online = write_then_die

cli(["--repo", root, "--profile", "production", "pipeline", *command])
"""


@pytest.fixture
def production_env(postgres_url: str, redis_url: str) -> Iterator[dict[str, str]]:
    """Two PostgreSQL databases (the killed run's, the reference's) beside one Redis."""
    with scratch_database(postgres_url) as killed_db, scratch_database(postgres_url) as ref_db:
        yield {"killed": killed_db, "reference": ref_db, "redis": redis_url}


def _repo(base: Path, name: str) -> tuple[Path, Path]:
    root = copy_feature_repo(base / name, project=f"p{uuid.uuid4().hex[:8]}")
    vendor = root / "incoming" / "bars.csv"
    vendor.parent.mkdir()
    from axiom_features.synthetic.bars import vendor_frame

    vendor_frame(bars_frame(90)).to_csv(vendor, index=False)
    return root, vendor


def _use(monkeypatch: pytest.MonkeyPatch, database: str, redis: str) -> None:
    monkeypatch.setenv("AXIOM_POSTGRES_URL", database)
    monkeypatch.setenv("AXIOM_REDIS_URL", redis)


def _postgres_rows(database: str, view: str) -> pd.DataFrame:
    with psycopg.connect(database) as conn:
        cursor = conn.execute(f'SELECT * FROM "{view}" ORDER BY symbol, event_timestamp')
        frame = pd.DataFrame(cursor.fetchall(), columns=[c.name for c in cursor.description])
    return frame.drop(columns=["created_timestamp"])


def _online(root: Path) -> dict:
    from axiom_features.feature_store import open_store
    from transforms.catalogue import catalogue

    store = open_store(root, "production")
    refs = [f"{v}:{f.name}" for v in VIEWS for f in catalogue().views[v].features]
    found = store.get_online_features(features=refs, entity_rows=[{"symbol": s} for s in SYMBOLS])
    return found.to_dict(include_event_timestamps=True)


def test_kills_at_every_step_then_resumes_give_the_stores_of_an_uninterrupted_run(
    tmp_path: Path, production_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from axiom_features.ops.health import run_checks
    from axiom_features.orchestration.runner import pipeline_runs, resume_pipeline, run_pipeline
    from axiom_features.pipeline.runs import RunLog

    reference, ref_file = _repo(tmp_path, "reference")
    _use(monkeypatch, production_env["reference"], production_env["redis"])
    done = run_pipeline(reference, "production", day=DAY, files={"bars": [ref_file]}, views=VIEWS)
    assert done.status == "succeeded"
    expected_online = _online(reference)
    expected_postgres = _postgres_rows(production_env["reference"], VIEWS[0])

    root, vendor = _repo(tmp_path, "killed")
    _use(monkeypatch, production_env["killed"], production_env["redis"])
    run = ["run", "--date", DAY, "--bars", str(vendor), "--views", ",".join(VIEWS)]
    kills = [  # where the process dies, its command, the Dagster step it dies in
        ("ingest", run, "lake__bars"),
        ("transform", ["resume"], "transform"),
        ("postgres_load", ["resume"], "transform"),
        ("materialize", ["resume"], "materialize"),
    ]
    for point, command, step in kills:
        child = run_child(KILLED_PIPELINE, str(root), point, *command)
        assert killed(child), (point, child.stderr[-3000:])
        assert processes_mentioning(str(root)) == []
        last = pipeline_runs(root, profile="production")[-1]
        assert last.status == "interrupted", (point, last)
        assert last.steps[step] == "in progress", (point, last.steps)
        assert list(last.steps.values()).count("in progress") == 1
        (health,) = [c for c in run_checks(root, datetime.now(UTC)) if c.name == "pipeline"]
        assert health.status == "warn" and "rerun `axiom pipeline resume`" in health.detail

    resume_pipeline(root, "production")

    (health,) = [c for c in run_checks(root, datetime.now(UTC)) if c.name == "pipeline"]
    assert health.status == "ok", health.detail
    runs = pipeline_runs(root, profile="production")
    assert [r.command for r in runs] == ["pipeline"] + ["pipeline resume"] * 4
    assert [r.status for r in runs] == ["interrupted"] * 4 + ["succeeded"]
    assert all("gone" in (r.error or "") for r in runs[:4])
    records = [r for r in RunLog(root / "data" / "runs").list() if r.command.startswith("pipeline")]
    assert [r.parameters.get("resumes") for r in records[1:]] == [r.run_id for r in records[:-1]]
    assert runs[-1].steps == {"materialize": "succeeded", "monitoring__drift": "succeeded"}
    # Dagster's runs and events are in the profile's PostgreSQL database, not in SQLite
    assert all(r.dagster_run_id for r in runs)
    with psycopg.connect(production_env["killed"]) as conn:
        stored = {row[0] for row in conn.execute("SELECT run_id FROM runs")}
    assert {r.dagster_run_id for r in runs} <= stored
    assert not list((root / "data" / "dagster").rglob("*.db"))
    # each step's own job left a record; the killed ones say so
    commands = {(r.command, r.status) for r in RunLog(root / "data" / "runs").list()}
    for job in ("ingest", "transform", "offline load", "materialize"):
        assert (job, "interrupted") in commands and (job, "succeeded") in commands, job

    assert same_rows(lake_snapshot(root), lake_snapshot(reference))
    after, before = offline_snapshot(root, VIEWS), offline_snapshot(reference, VIEWS)
    assert all(same_rows(after[v], before[v]) for v in VIEWS)
    assert not list((root / "data").rglob("*.tmp")), "a partial file was left behind"
    loaded = _postgres_rows(production_env["killed"], VIEWS[0])
    assert not loaded.duplicated(["symbol", "event_timestamp"]).any()
    pd.testing.assert_frame_equal(loaded, expected_postgres)
    assert _online(root) == expected_online
