"""The daily update recomputes only what changed, and its tables equal a full recompute on
every feature: next-day bars, a late bar, a corrected bar, new filings and headlines."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from axiom_features.ingest import QualityOptions, import_frame
from axiom_features.lakes.fundamentals import FundamentalsLake
from axiom_features.lakes.news import NewsLake
from axiom_features.paths import RepoPaths
from axiom_features.pipeline.family_inputs import write_market_closes
from axiom_features.pipeline.transform_job import run_transform_job, symbol_tables, talib_only
from axiom_features.synthetic.bars import generate_bars
from axiom_features.synthetic.fundamentals import generate_fundamentals, price_levels_of
from axiom_features.synthetic.news import generate_news
from axiom_features.updates.daily import update_offline
from axiom_features.updates.watermarks import read_marks
from transforms.catalogue import catalogue
from transforms.compute import plan_for

SYMBOLS = ["AAA", "BBB", "CCC"]
END = datetime(2025, 6, 27, 21, tzinfo=UTC)
RECEIVED = datetime(2025, 7, 1, tzinfo=UTC)
"""When the history was received; each later batch arrives a day after the one before."""
VIEWS = catalogue().select(None)
TALIB = talib_only(VIEWS)


def received(step: int) -> pd.Timestamp:
    return pd.Timestamp(RECEIVED + timedelta(days=step))


@pytest.fixture(scope="module")
def market() -> pd.DataFrame:
    return generate_bars(SYMBOLS, 330, seed=5, end=END, created_at=RECEIVED)


def sessions(bars: pd.DataFrame) -> list[pd.Timestamp]:
    return sorted(bars.event_timestamp.unique())


def arrive(repo: RepoPaths, bars: pd.DataFrame, step: int, policy: str | None = None) -> None:
    """Import ``bars`` through the quality gate as received at ``step``."""
    bars = bars.assign(created_timestamp=received(step).as_unit("us"))
    options = QualityOptions(on_conflict=policy, now=received(step)) if policy else None
    options = options or QualityOptions(now=received(step))
    result = import_frame(bars, repo, run_id=f"r{step}", source="synthetic", quality=options)
    assert result.accepted == len(bars), result


def assert_equals_full_recompute(repo: RepoPaths) -> None:
    """Every feature of every view and symbol equals the transform's, computed afresh."""
    plan = plan_for(TALIB)
    market_path = write_market_closes(repo)
    for symbol in SYMBOLS:
        expected = symbol_tables(repo, symbol, VIEWS, plan, RECEIVED, market_path)
        for view in VIEWS:
            stored = pq.read_table(repo.offline_view(view.name) / f"{symbol}.parquet")
            want = expected[view.name]
            assert stored.column("event_timestamp").equals(want.column("event_timestamp"))
            for name in view.feature_names:
                np.testing.assert_array_equal(
                    stored.column(name).to_numpy(),
                    want.column(name).to_numpy(),
                    err_msg=f"{view.name}.{name} of {symbol}",
                )


def created_times(repo: RepoPaths, view: str, symbol: str) -> pd.Series:
    table = pq.read_table(repo.offline_view(view) / f"{symbol}.parquet")
    return table.column("created_timestamp").to_pandas()


@pytest.fixture(scope="module")
def transformed(tmp_path_factory, market) -> RepoPaths:
    """History up to five sessions before the end, with filings and headlines, transformed."""
    repo = RepoPaths(tmp_path_factory.mktemp("transformed"))
    days = sessions(market)
    arrive(repo, market[market.event_timestamp < days[-5]], 0)
    history = market[market.event_timestamp < days[-5]]
    NewsLake(repo).upsert(generate_news(SYMBOLS, pd.DatetimeIndex(days[:-5]), seed=5, bars=history))
    FundamentalsLake(repo).upsert(
        generate_fundamentals(
            SYMBOLS, start=days[0], end=days[-6], seed=5, price_levels=price_levels_of(history)
        )
    )
    run_transform_job(repo, created=RECEIVED + timedelta(hours=1))
    return repo


@pytest.fixture()
def repo(tmp_path, transformed) -> RepoPaths:
    """A copy of the transformed repository of this test's own."""
    shutil.copytree(transformed.root, tmp_path / "repo")
    return RepoPaths(tmp_path / "repo")


def test_next_day_bars_extend_the_tables_and_equal_a_full_recompute(repo, market):
    days = sessions(market)
    update_offline(repo, created=received(1))  # first update: marks from the stored tables
    arrive(repo, market[market.event_timestamp == days[-5]], 2)
    result = update_offline(repo, created=received(2))
    assert result.carried == len(TALIB) * len(SYMBOLS)
    assert result.rows_per_view["ta_momentum"] == len(SYMBOLS)  # one new row per symbol
    assert result.changed_latest == {}
    created = created_times(repo, "ta_momentum", "AAA")
    assert (created.iloc[:-1] == pd.Timestamp(RECEIVED + timedelta(hours=1))).all()
    assert created.iloc[-1] == received(2)
    assert_equals_full_recompute(repo)
    marks = read_marks(repo, "ta_momentum", catalogue().view("ta_momentum").version)
    assert pd.Timestamp(marks["BBB"].through) == days[-5]
    assert pd.Timestamp(marks["BBB"].bars) == received(2)


def test_an_update_in_worker_processes_writes_the_bytes_of_one_process(
    repo, market, tmp_path, monkeypatch
):
    from axiom_features.updates import daily

    update_offline(repo, created=received(1))
    arrive(repo, market[market.event_timestamp == sessions(market)[-5]], 2)
    one_process = RepoPaths(shutil.copytree(repo.root, tmp_path / "one_process"))
    update_offline(one_process, created=received(2))
    monkeypatch.setattr(daily, "PARALLEL_SYMBOLS", 1)  # three symbols are enough for workers
    result = update_offline(repo, created=received(2), workers=2)
    assert result.carried == len(TALIB) * len(SYMBOLS)
    assert result.rows_per_view["risk"] == len(SYMBOLS)
    assert stored_bytes(repo) == stored_bytes(one_process)


def test_nothing_new_writes_nothing_and_the_first_update_commits_every_mark(repo):
    update_offline(repo, created=received(1))
    for view in VIEWS:
        assert sorted(read_marks(repo, view.name, view.version)) == SYMBOLS
    result = update_offline(repo, created=received(2))
    assert result.rows_per_view == {}
    assert result.carried == result.recomputed == 0


def test_a_late_bar_recomputes_its_symbol_and_the_market_views_from_its_time(repo, market):
    days = sessions(market)
    update_offline(repo, created=received(1))
    day = market[market.event_timestamp == days[-5]]
    arrive(repo, day[day.symbol != "BBB"], 2)  # BBB's bar is late
    arrive(repo, market[market.event_timestamp == days[-4]], 3)
    update_offline(repo, created=received(3))
    arrive(repo, day[day.symbol == "BBB"], 4)
    result = update_offline(repo, created=received(4))
    assert result.carried == 0
    assert result.rows_per_view["ta_momentum"] == 2  # BBB: the late bar and the next
    assert result.rows_per_view["risk"] == 3 * 2  # every symbol: the market changed there
    assert result.changed_latest["ta_momentum"] == days[-5]
    assert_equals_full_recompute(repo)


def test_a_corrected_bar_recomputes_from_it_and_flags_the_latest_row(repo, market):
    days = sessions(market)
    update_offline(repo, created=received(1))
    corrected = market[(market.event_timestamp == days[-8]) & (market.symbol == "CCC")].copy()
    corrected["close"] *= 1.02
    corrected["high"] = corrected[["high", "close"]].max(axis=1)
    arrive(repo, corrected, 2, policy="replace")
    result = update_offline(repo, created=received(2))
    assert result.rows_per_view["ta_momentum"] == 3  # the corrected bar and the two after
    assert result.changed_latest["ta_momentum"] == days[-8]
    assert_equals_full_recompute(repo)


def test_a_new_filing_and_headline_recompute_the_views_reading_them(repo, market):
    days = sessions(market)
    update_offline(repo, created=received(1))
    arrive(repo, market[market.event_timestamp.isin(days[-5:])], 2)
    NewsLake(repo).upsert(
        generate_news(SYMBOLS, pd.DatetimeIndex(days[-5:]), seed=6, bars=market, per_day=3.0)
    )
    FundamentalsLake(repo).upsert(
        generate_fundamentals(
            SYMBOLS, start=days[-80], end=days[-1], seed=5, price_levels=price_levels_of(market)
        )
    )
    result = update_offline(repo, created=received(2))
    assert result.rows_per_view["sentiment_daily"] > len(SYMBOLS) * 5  # whole series again
    assert_equals_full_recompute(repo)


KILLED_UPDATE = """
import os, signal, sys
from datetime import datetime
from pathlib import Path
from axiom_features.paths import RepoPaths
from axiom_features.updates import daily

root, point, created = sys.argv[1], sys.argv[2], datetime.fromisoformat(sys.argv[3])
write_table, written = daily.write_view_table, []

def write_then_die(*args):
    write_table(*args)
    written.append(args)
    if point == "after_first_table":
        os.kill(os.getpid(), signal.SIGKILL)

daily.write_view_table = write_then_die
if point == "before_marks":
    daily.write_marks = lambda *args: os.kill(os.getpid(), signal.SIGKILL)
daily.update_offline(RepoPaths(Path(root)), created=created)
"""


def stored_bytes(repo: RepoPaths) -> dict[str, str]:
    from axiom_features.lakes.provenance import file_sha256

    folders = [repo.offline, repo.data / "state" / "watermarks"]
    return {
        p.relative_to(repo.data).as_posix(): file_sha256(p)
        for folder in folders
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


@pytest.mark.parametrize("point", ["after_first_table", "before_marks"])
def test_a_killed_update_rerun_gives_the_stores_of_an_uninterrupted_one(
    repo, market, tmp_path, point
):
    from tests.run_children import killed, run_child

    update_offline(repo, created=received(1))
    arrive(repo, market[market.event_timestamp == sessions(market)[-5]], 2)
    uninterrupted = RepoPaths(shutil.copytree(repo.root, tmp_path / "uninterrupted"))
    update_offline(uninterrupted, created=received(2))

    child = run_child(KILLED_UPDATE, str(repo.root), point, received(2).isoformat())
    assert killed(child), child.stderr[-2000:]
    assert stored_bytes(repo) != stored_bytes(uninterrupted)  # the kill left work undone
    update_offline(repo, created=received(2))
    assert stored_bytes(repo) == stored_bytes(uninterrupted)
