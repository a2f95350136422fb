"""A consistency check that checked nothing does not say ok, and online rows whose offline
file was deleted are noticed."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from axiom_features.cli.app import cli
from axiom_features.materialize.fast_engine import ENGINE_TYPE
from tests.conftest import copy_feature_repo
from tests.online_fixtures import END, VIEWS, open_yaml, write_offline_tables, write_yaml

pytestmark = pytest.mark.redis


@pytest.fixture
def materialized(tmp_path: Path, redis_url: str) -> Iterator[Path]:
    cwd = os.getcwd()
    project = f"k{uuid.uuid4().hex[:10]}"
    root = copy_feature_repo(tmp_path / "repo", project=project)
    os.chdir(root)
    try:
        write_offline_tables(root)
        yaml = write_yaml(
            root, "feature_store", project=project, redis_url=redis_url, engine=ENGINE_TYPE
        )
        open_yaml(root, yaml).materialize(
            start_date=END.replace(year=2025), end_date=END, feature_views=list(VIEWS)
        )
        yield root
    finally:
        os.chdir(cwd)


def _run(root: Path, *args: str) -> tuple[int, dict]:
    result = CliRunner().invoke(
        cli, ["--repo", str(root), "consistency", "--views", ",".join(VIEWS), *args]
    )
    return result.exit_code, json.loads(result.output)


def test_views_that_compared_nothing_make_the_check_warn_not_pass(materialized: Path) -> None:
    code, report = _run(materialized, "--as-of", "2027-06-30T20:00:00")  # every row expired
    assert code == 1
    assert report["ok"] is False and report["status"] == "warn"
    assert report["mismatch_count"] == 0 and report["entities_checked"] == 0
    assert report["views_compared"] == 0
    assert sorted(report["views_compared_nothing"]) == sorted(VIEWS)
    for view in report["views"]:
        assert view["status"] == "warn"
        assert any("compared nothing (6 sampled entities expired)" in n for n in view["notes"])


def test_an_online_row_whose_offline_file_was_deleted_fails_the_check(materialized: Path) -> None:
    (materialized / "data" / "offline" / "ta_volume" / "DDD.parquet").unlink()
    code, report = _run(materialized)
    assert code == 1 and report["status"] == "fail"
    by_view = {v["view"]: v for v in report["views"]}
    assert by_view["ta_overlap"]["status"] == "ok"
    gone = by_view["ta_volume"]
    assert gone["status"] == "fail"
    assert gone["online_entities"] == 6 and gone["offline_entities"] == 5
    assert "1 online entities have no offline row" in " ".join(gone["notes"])
