"""Shared fixtures: real services and a scratch copy of the feature repository."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.services import postgres_server, redis_server, scratch_database

REPO_ROOT = Path(__file__).resolve().parents[1]
REPO_FILES = ("feature_store.yaml", ".feastignore", "feature_repo", "profiles")


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL database of this test session's own (created on ``AXIOM_POSTGRES_URL``'s
    server, or on a throwaway embedded server), dropped at the end.

    The embedded server's data lives outside pytest's base temp folder: concurrent pytest
    sessions prune old base folders, which would pull the data directory from under it.
    """
    workdir = Path(tempfile.mkdtemp(prefix="axiom-postgres-"))
    try:
        with postgres_server(workdir) as server, scratch_database(server) as url:
            yield url
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def fresh_postgres_url(postgres_url: str) -> Iterator[str]:
    """A database of this test's own, beside the session's: offline tables are named after
    their views, so repos that load the same views need separate databases."""
    with scratch_database(postgres_url) as url:
        yield url


def copy_feature_repo(dest: Path, project: str | None = None) -> Path:
    """A copy of the repo's Feast definitions and profiles in ``dest``, with its own data.

    ``project`` renames the Feast project in every profile, so runs sharing one Redis do not
    see each other's keys.
    """
    dest.mkdir(parents=True, exist_ok=True)
    for name in REPO_FILES:
        src = REPO_ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, dest / name)
    if project:
        for yaml in [dest / "feature_store.yaml", *dest.glob("profiles/*/feature_store.yaml")]:
            yaml.write_text(yaml.read_text().replace("project: axiom", f"project: {project}"))
    return dest


@pytest.fixture
def feature_repo(tmp_path: Path) -> Path:
    """A scratch feature repository with a unique Feast project name."""
    return copy_feature_repo(tmp_path / "repo", project=f"t{uuid.uuid4().hex[:10]}")
