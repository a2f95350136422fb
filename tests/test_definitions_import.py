"""Definitions import from the store's own repo whatever the process's state.

Feast names definition modules by their path relative to the working directory, and
imports them through ``sys.path``. Another repo's copy earlier on ``sys.path``, a working
directory left in another repo, or modules cached from another repo must not change what
``feast apply`` registers or plans; the working directory is restored afterwards. The
dashboard's background health refresh (which opens the store, and so changes directory)
stops when its server is closed.
"""

from __future__ import annotations

import os
import sys
import threading
import uuid
from pathlib import Path

from feast import FeatureStore
from feast.repo_operations import _get_repo_contents

from axiom_features.feature_store import apply_definitions, importing_definitions, offline_kind_of
from axiom_features.ops.dashboard import make_server
from tests.conftest import copy_feature_repo


def _plan(store: FeatureStore) -> str:
    with offline_kind_of(store):
        contents = _get_repo_contents(Path(store.repo_path), store.project, store.config)
    diff, _, _ = store.plan(contents)
    return diff.to_string()


def test_other_repo_on_path_and_as_cwd_does_not_shadow_definitions(tmp_path: Path) -> None:
    mine = copy_feature_repo(tmp_path / "mine", project=f"t{uuid.uuid4().hex[:10]}")
    other = copy_feature_repo(tmp_path / "other", project=f"t{uuid.uuid4().hex[:10]}")
    cwd = os.getcwd()
    try:
        os.chdir(mine)
        store = FeatureStore(repo_path=str(mine))
        views = apply_definitions(store)
        assert views
        # the state another job leaves behind: its repo first on the path, cwd inside it,
        # its definition modules cached
        sys.path.insert(0, str(other))
        os.chdir(other)
        with importing_definitions(other):
            __import__("feature_repo.entities")
        assert sys.modules["feature_repo.entities"].__file__.startswith(str(other))
        assert "No changes to registry" in _plan(store)
        assert Path(os.getcwd()) == other.resolve()  # restored
        assert sys.modules["feature_repo.entities"].__file__.startswith(str(mine.resolve()))
    finally:
        os.chdir(cwd)
        while str(other) in sys.path:
            sys.path.remove(str(other))


def test_dashboard_health_refresh_stops_with_its_server(tmp_path: Path) -> None:
    root = copy_feature_repo(tmp_path / "dash", project=f"d{uuid.uuid4().hex[:8]}")
    cwd = os.getcwd()
    try:
        server = make_server(root, port=0, refresh_seconds=0.05)
    finally:
        os.chdir(cwd)
    refreshers = [t for t in threading.enumerate() if t.name == "dashboard-health"]
    assert refreshers
    server.server_close()
    for thread in refreshers:
        thread.join(timeout=30)
    assert not any(t.is_alive() for t in refreshers)
    os.chdir(cwd)
