"""The storage of a repository: its explicit settings, else its ``feature_store.yaml``'s
``storage:`` block and the environment."""

from __future__ import annotations

from axiom_features.paths import RepoPaths
from axiom_features.storage.open import open_storage
from axiom_features.storage.settings import StorageSettings, storage_settings
from axiom_features.storage.store import Storage


def settings_of(repo: RepoPaths) -> StorageSettings:
    """``repo.storage`` when given (a job hands its workers the driver's), else the
    ``storage:`` block of the repo's ``feature_store.yaml`` overridden by the environment."""
    if repo.storage is not None:
        return repo.storage
    return storage_settings(repo.root / "feature_store.yaml")


def storage_of(repo: RepoPaths) -> Storage:
    """Where ``repo``'s lakes and offline tables are read and written."""
    return open_storage(repo.data, settings_of(repo))


def with_storage(repo: RepoPaths) -> RepoPaths:
    """``repo`` with its storage settings resolved here, to hand to a worker elsewhere."""
    return RepoPaths(repo.root, storage=settings_of(repo))
