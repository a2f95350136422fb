"""``axiom consistency``: online values against the latest offline rows.

A scratch repo whose default profile is Redis is materialized with the platform's engine;
the check passes, then one online value is overwritten in Redis and exactly that value is
reported, with exit code 1. The symbol that stopped trading ten days before the end is past
the views' seven-day TTL, so it is counted as expired and not compared.
"""

from __future__ import annotations

import json
import os
import struct
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from click.testing import CliRunner
from feast.value_type import ValueType

from axiom_features.cli.app import cli
from axiom_features.materialize.fast_engine import ENGINE_TYPE
from axiom_features.online.layout import DOUBLE_TAG, EntityKeyEncoder, feature_field
from tests.conftest import copy_feature_repo
from tests.online_fixtures import (
    END,
    VIEWS,
    feature_names,
    open_yaml,
    write_offline_tables,
    write_yaml,
)

pytestmark = pytest.mark.redis


@pytest.fixture
def materialized(tmp_path: Path, redis_url: str) -> Iterator[tuple[Path, str]]:
    cwd = os.getcwd()
    project = f"c{uuid.uuid4().hex[:10]}"
    root = copy_feature_repo(tmp_path / "repo", project=project)
    os.chdir(root)
    try:
        write_offline_tables(root)
        yaml = write_yaml(
            root, "feature_store", project=project, redis_url=redis_url, engine=ENGINE_TYPE
        )
        store = open_yaml(root, yaml)
        store.materialize(
            start_date=END.replace(year=2025), end_date=END, feature_views=list(VIEWS)
        )
        yield root, project
    finally:
        os.chdir(cwd)


def _run(root: Path) -> tuple[int, dict]:
    result = CliRunner().invoke(
        cli, ["--repo", str(root), "consistency", "--views", ",".join(VIEWS), "--sample", "50"]
    )
    return result.exit_code, json.loads(result.output)


def test_consistent_store_passes_and_expired_entities_are_not_compared(materialized) -> None:
    root, _ = materialized
    code, report = _run(root)
    assert code == 0, report
    assert report["ok"] and report["mismatch_count"] == 0
    by_view = {v["view"]: v for v in report["views"]}
    assert set(by_view) == set(VIEWS)
    for view in VIEWS:
        assert by_view[view]["entities_checked"] == 5  # six symbols, EEE expired
        assert by_view[view]["expired"] == 1
        assert by_view[view]["values_checked"] == 5 * len(feature_names(view))


def test_a_corrupted_online_value_is_reported(materialized, redis_url: str) -> None:
    root, project = materialized
    feature = feature_names("ta_volume")[7]
    key = EntityKeyEncoder(["symbol"], [ValueType.STRING], project).key(["BBB"])
    client = redis.Redis.from_url(redis_url)
    field = feature_field("ta_volume", feature)
    assert client.hget(key, field)  # the value exists before it is overwritten
    client.hset(key, field, bytes([DOUBLE_TAG]) + struct.pack("<d", 12345.5))

    code, report = _run(root)
    assert code == 1
    assert report["ok"] is False
    assert report["mismatch_count"] == 1
    (mismatch,) = report["mismatches"]
    assert mismatch["view"] == "ta_volume"
    assert mismatch["entity"] == {"symbol": "BBB"}
    assert mismatch["feature"] == feature
    assert mismatch["kind"] == "value"
    assert mismatch["online"] == 12345.5
    assert mismatch["offline"] != 12345.5
