"""The Dagster code location as a specification: the asset graph follows the catalogue,
partitions are the exchange's sessions, the schedule asks for each session once after its
close, the inbox sensor imports each file once by content, and only transient failures are
retried."""

from __future__ import annotations

import hashlib
import shutil
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pytest

from axiom_features.orchestration import retries
from axiom_features.orchestration.assets import Settings, lake_key, offline_key, online_key
from axiom_features.orchestration.definitions import DAILY_JOB, build_definitions
from axiom_features.orchestration.sessions import session_close, session_partitions
from axiom_features.orchestration.triggers import inbox
from transforms.catalogue import catalogue


@pytest.fixture(scope="module")
def defs(tmp_path_factory: pytest.TempPathFactory) -> dg.Definitions:
    return build_definitions(Settings(tmp_path_factory.mktemp("location")))


def test_every_catalogue_view_has_an_offline_and_an_online_asset_fed_by_its_lakes(defs):
    graph = defs.resolve_asset_graph()
    cat = catalogue()
    for name in cat.views:
        lakes = {k for k in graph.get(offline_key(name)).parent_keys}
        family = cat.family_of(name)
        expected = {lake_key("bars")}
        expected |= {lake_key("fundamentals")} if family == "fundamentals" else set()
        expected |= {lake_key("news")} if family == "sentiment" else set()
        assert lakes == expected, name
        assert graph.get(online_key(name)).parent_keys == {offline_key(name)}
    drift = graph.get(dg.AssetKey(["monitoring", "drift"]))
    assert drift.parent_keys == {online_key(v) for v in cat.views}
    assert len(graph.get_all_asset_keys()) == 3 + 2 * len(cat.views) + 1


def test_the_quality_gate_blocks_and_every_online_view_has_a_freshness_check(defs):
    checks = {
        spec.key: spec
        for assets in defs.resolve_asset_graph().assets_defs
        for spec in assets.check_specs
    }
    gate = checks[dg.AssetCheckKey(lake_key("bars"), "quality_gate")]
    assert gate.blocking
    for name in catalogue().views:
        fresh = checks[dg.AssetCheckKey(online_key(name), "freshness")]
        assert not fresh.blocking


def test_partitions_are_the_exchange_sessions_with_their_own_close():
    keys = set(session_partitions().get_partition_keys())
    assert {"2026-11-25", "2026-11-27", "2026-03-06", "2026-03-09"} <= keys
    assert not {"2026-11-26", "2026-03-07", "2026-12-25"} & keys  # holiday, Saturday
    assert session_close("2026-11-27") == datetime(2026, 11, 27, 18, 0, tzinfo=UTC)  # half-day
    assert session_close("2026-03-06") == datetime(2026, 3, 6, 21, 0, tzinfo=UTC)  # EST
    assert session_close("2026-03-09") == datetime(2026, 3, 9, 20, 0, tzinfo=UTC)  # EDT
    with pytest.raises(ValueError, match="2026-11-26 is not a XNYS trading session"):
        session_close("2026-11-26")


@pytest.mark.parametrize(
    ("tick", "session"),
    [
        (datetime(2026, 11, 27, 17, 45, tzinfo=UTC), "2026-11-25"),  # before the early close
        (datetime(2026, 11, 27, 18, 0, tzinfo=UTC), "2026-11-27"),  # at it
        (datetime(2026, 3, 6, 20, 15, tzinfo=UTC), "2026-03-05"),  # 15:15 EST: still open
        (datetime(2026, 3, 9, 20, 15, tzinfo=UTC), "2026-03-09"),  # 16:15 EDT: closed
        (datetime(2026, 3, 7, 12, 0, tzinfo=UTC), "2026-03-06"),  # a Saturday
    ],
)
def test_the_schedule_asks_for_the_newest_closed_session_once(defs, tick, session):
    schedule = defs.resolve_schedule_def("after_session_close")
    assert schedule.job_name == DAILY_JOB
    context = dg.build_schedule_context(
        scheduled_execution_time=tick, repository_def=defs.get_repository_def()
    )
    (request,) = schedule.evaluate_tick(context).run_requests
    assert request.partition_key == session
    assert request.run_key == f"session-{session}"


def test_the_inbox_sensor_imports_each_file_once_keyed_by_its_content(tmp_path: Path):
    defs = build_definitions(Settings(tmp_path))
    sensor = defs.resolve_sensor_def("inbox")
    folder = inbox(tmp_path) / "bars"
    folder.mkdir(parents=True)
    first = folder / "vendor_1.csv"
    first.write_text("Date,Ticker,Close\n2026-06-12,AXM,10\n")

    def tick(cursor: str | None) -> dg.SensorExecutionData:
        context = dg.build_sensor_context(cursor=cursor, repository_def=defs.get_repository_def())
        return sensor.evaluate_tick(context)

    found = tick(None)
    (request,) = found.run_requests
    assert request.run_key == hashlib.sha256(first.read_bytes()).hexdigest()
    assert request.asset_selection == [lake_key("bars")]
    assert request.run_config["ops"]["lake__bars"]["config"]["files"] == [str(first)]

    assert tick(found.cursor).run_requests == []  # seen
    shutil.copy(first, folder / "vendor_1_again.csv")  # the same content under a new name
    assert tick(found.cursor).run_requests == []
    news = inbox(tmp_path) / "news"
    news.mkdir()
    (news / "headlines.csv").write_text("symbol,published_at,headline\n")
    (folder / "vendor_2.csv").write_text("Date,Ticker,Close\n2026-06-15,AXM,11\n")
    later = tick(found.cursor).run_requests
    assert sorted((r.asset_selection[0], Path(r.tags["axiom/file"]).name) for r in later) == [
        (lake_key("bars"), "vendor_2.csv"),
        (lake_key("news"), "headlines.csv"),
    ]


def _counting_asset(name: str, action):  # noqa: ANN001, ANN202
    tries: list[int] = []

    @dg.asset(name=name)
    def counted(context) -> None:  # noqa: ANN001 - Dagster reads the annotation
        tries.append(context.retry_number)
        retries.retry_transient(context, lambda: action(len(tries)))

    return counted, tries


def test_an_unreachable_service_is_retried_with_backoff_and_a_data_error_is_not(monkeypatch):
    import psycopg

    monkeypatch.setattr(retries, "FIRST_DELAY", 0.01)

    def postgres_down_twice(attempt: int) -> None:
        if attempt <= 2:  # nothing listens on port 1
            psycopg.connect("postgresql://postgres@127.0.0.1:1/test", connect_timeout=2)

    def bad_data(attempt: int) -> None:
        raise ValueError("row 3, column close: not a number")

    flaky, flaky_tries = _counting_asset("flaky", postgres_down_twice)
    broken, broken_tries = _counting_asset("broken", bad_data)
    instance = dg.DagsterInstance.ephemeral()
    assert dg.materialize([flaky], instance=instance).success
    assert flaky_tries == [0, 1, 2]
    failed = dg.materialize([broken], instance=instance, raise_on_error=False)
    assert not failed.success and broken_tries == [0]


def _worker(kill: bool) -> int:
    import os
    import signal

    if kill:
        os.kill(os.getpid(), signal.SIGKILL)
    return os.getpid()


def test_a_killed_worker_process_is_retried(monkeypatch):
    from concurrent.futures import ProcessPoolExecutor

    monkeypatch.setattr(retries, "FIRST_DELAY", 0.01)

    def pool_of_one(attempt: int) -> None:
        with ProcessPoolExecutor(max_workers=1) as pool:
            pool.submit(_worker, attempt == 1).result()

    asset, tries = _counting_asset("pooled", pool_of_one)
    assert dg.materialize([asset], instance=dg.DagsterInstance.ephemeral()).success
    assert tries == [0, 1]


def test_backoff_doubles_is_capped_and_jittered():
    import random

    rng = random.Random(3)
    waits = [[retries.backoff_seconds(n, rng) for _ in range(200)] for n in range(8)]
    for n, drawn in enumerate(waits):
        base = min(retries.FIRST_DELAY * 2**n, retries.MAX_DELAY)
        assert base * (1 - retries.JITTER) <= min(drawn) and max(drawn) <= base * (
            1 + retries.JITTER
        )
        assert len(set(drawn)) > 100  # jittered, so retries of many runs do not line up
