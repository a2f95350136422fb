"""``axiom materialize`` without ``--start`` continues from each view's last
materialization, as ``feast materialize-incremental`` does, and says why a view got no rows.

The offline tables end months before today (historical data): a fixed "last 30 days"
window would write nothing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from axiom_features.cli.app import cli
from axiom_features.pipeline import jobs
from tests.online_fixtures import END, SYMBOLS, VIEWS, write_offline_tables

NOW = datetime(2026, 11, 30, tzinfo=UTC)
VIEW_LIST = ",".join(VIEWS)


@pytest.fixture
def repo(feature_repo: Path) -> Iterator[Path]:
    cwd = os.getcwd()
    try:
        write_offline_tables(feature_repo)
        jobs.apply(feature_repo)
        yield feature_repo
    finally:
        os.chdir(cwd)


def test_first_run_without_start_writes_the_latest_rows_of_all_history(repo: Path) -> None:
    result = jobs.materialize(repo, None, NOW, views=list(VIEWS))
    assert {v.feature_view: v.rows for v in result.views} == {v: len(SYMBOLS) for v in VIEWS}
    assert not [w for w in result.warnings if "0 rows written" in w]


def test_a_second_run_starts_where_the_first_ended_and_says_why_nothing_was_written(
    repo: Path,
) -> None:
    jobs.materialize(repo, None, NOW, views=list(VIEWS))
    again = CliRunner().invoke(
        cli, ["--repo", str(repo), "materialize", "--end", "2026-12-01", "--views", VIEW_LIST]
    )
    assert again.exit_code == 0, again.output
    for view in VIEWS:
        assert f"{view}: 0 rows written: nothing newer than its last materialization" in (
            " ".join(again.output.split())
        )
    assert f"{END:%Y-%m-%d}" in again.output  # the newest offline row is named


def test_an_explicit_window_without_rows_says_so(repo: Path) -> None:
    result = jobs.materialize(repo, NOW.replace(month=10), NOW, views=["ta_overlap"])
    assert result.warnings == [
        "ta_overlap: 0 rows written: no offline rows between 2026-10-30 00:00 and "
        "2026-11-30 00:00 UTC; its newest offline row is from 2026-06-30 20:00 UTC"
    ]
