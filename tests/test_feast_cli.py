"""Feast's own tools behave on this repo as Feast users expect.

A second ``feast apply`` with no change in the definitions reports "No changes to
registry", also once views have been materialized (their registered specification then
differs in materialization intervals, so Feast compares every field, source timestamps
included); ``feast ui`` starts and serves its page.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from feast import FeatureStore
from feast.repo_operations import _get_repo_contents

from axiom_features.feature_store import apply_definitions, offline_kind_of
from tests.online_fixtures import END, VIEWS, write_offline_tables
from tests.services import free_port


@pytest.fixture
def applied(feature_repo: Path) -> Iterator[FeatureStore]:
    """The default profile of a scratch repo, applied once, with two views' offline tables."""
    cwd = os.getcwd()
    os.chdir(feature_repo)
    try:
        write_offline_tables(feature_repo)
        store = FeatureStore(repo_path=str(feature_repo))
        apply_definitions(store)
        yield store
    finally:
        os.chdir(cwd)


def _second_apply_plan(store: FeatureStore) -> str:
    """What ``feast apply`` would print about the registry if run again now (definitions
    imported afresh, as a new ``feast apply`` process does)."""
    with offline_kind_of(store):
        contents = _get_repo_contents(Path(store.repo_path), store.project, store.config)
    registry_diff, _, _ = store.plan(contents)
    return registry_diff.to_string()


def test_second_apply_without_changes_reports_no_changes(applied: FeatureStore) -> None:
    assert "No changes to registry" in _second_apply_plan(applied)


def test_second_apply_after_materialize_reports_no_changes(applied: FeatureStore) -> None:
    applied.materialize(END.replace(year=2025), END, feature_views=list(VIEWS))
    apply_definitions(applied)  # a first `feast apply` after the materialization
    report = _second_apply_plan(applied)
    assert "Updated feature view" not in report
    assert "No changes to registry" in report


def test_feast_ui_serves_its_page(applied: FeatureStore) -> None:
    from feast.ui_server import get_app  # imports Feast's gRPC registry server

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(get_app(applied, applied.project), port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as answer:
            assert answer.status == 200
            assert b"<html" in answer.read().lower()
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert "grpc_health" in sys.modules
