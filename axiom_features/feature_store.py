"""Opening the Feast feature store of a repo under a named profile, and applying definitions."""

from __future__ import annotations

import copy
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from feast import FeatureStore
from feast.data_source import DataSource
from feast.repo_operations import _get_repo_contents, apply_total_with_repo_instance

PROFILES: dict[str, str] = {
    "default": "feature_store.yaml",
    "production": "profiles/production/feature_store.yaml",
}


class ProfileError(ValueError):
    """An unknown profile, or a profile whose configuration file is missing."""


def profile_yaml(root: Path, profile: str) -> Path:
    """The ``feature_store.yaml`` of ``profile`` inside the repo at ``root``."""
    if profile not in PROFILES:
        raise ProfileError(f"unknown profile '{profile}'; known: {', '.join(PROFILES)}")
    path = root / PROFILES[profile]
    if not path.exists():
        raise ProfileError(f"profile '{profile}': {path} does not exist")
    return path


def open_store(root: Path, profile: str = "default") -> FeatureStore:
    """The Feast store of the repo at ``root``; relative paths in its YAML resolve from ``root``."""
    from axiom_features.lineage.feast_events import use_feast_lineage
    from axiom_features.resilience.urls import check_service_urls

    root = root.resolve()
    yaml = profile_yaml(root, profile)
    check_service_urls(yaml.read_text())  # one line for a missing or malformed URL
    os.chdir(root)
    return use_feast_lineage(FeatureStore(repo_path=str(root), fs_yaml_file=yaml), root)


_DEFINITIONS_LOCK = threading.RLock()


@contextmanager
def importing_definitions(root: Path) -> Iterator[None]:
    """While held, ``feature_repo.*`` imports afresh from the repo at ``root``.

    Feast names each definition module by its path relative to the working directory, so
    the working directory is the repo's for the duration (and restored after); the repo is
    first on ``sys.path`` and earlier imports of ``feature_repo`` are dropped, so another
    repo's copy cannot shadow these definitions. One import at a time per process."""
    root_text = str(Path(root).resolve())
    with _DEFINITIONS_LOCK:
        cwd = os.getcwd()
        if root_text in sys.path:
            sys.path.remove(root_text)
        sys.path.insert(0, root_text)  # definitions import each other as ``feature_repo.*``
        cached = [m for m in sys.modules if m.partition(".")[0] == "feature_repo"]
        for name in cached:
            del sys.modules[name]  # sources are chosen at import time
        os.chdir(root_text)
        try:
            yield
        finally:
            os.chdir(cwd)


@contextmanager
def offline_kind_of(store: FeatureStore) -> Iterator[str]:
    """``AXIOM_OFFLINE`` set to the kind of source the store's offline store reads
    (``postgres`` or ``file``) while definitions are imported afresh from the store's own
    repo (see :func:`importing_definitions`)."""
    kind = "postgres" if "postgres" in type(store.config.offline_store).__name__.lower() else "file"
    previous = os.environ.get("AXIOM_OFFLINE")
    os.environ["AXIOM_OFFLINE"] = kind
    try:
        with importing_definitions(Path(store.repo_path)):
            yield kind
    finally:
        if previous is None:
            os.environ.pop("AXIOM_OFFLINE", None)
        else:
            os.environ["AXIOM_OFFLINE"] = previous


def apply_definitions(store: FeatureStore) -> list[str]:
    """What ``feast apply`` does: register ``feature_repo/`` and create online tables.

    Returns the names of the feature views now registered.
    """
    root = Path(store.repo_path)
    with offline_kind_of(store):
        contents = _get_repo_contents(root, store.config.project, store.config)
    _register_sources(store, contents.data_sources)
    apply_total_with_repo_instance(
        store, store.config.project, store.registry, contents, skip_source_validation=True
    )
    return sorted(fv.name for fv in store.list_feature_views())


def _register_sources(store: FeatureStore, sources: list[DataSource]) -> None:
    """Register copies of ``sources`` before the views that read them.

    Registering a new source stamps the object with the time of registration, and a view
    applied in the same pass keeps that stamp in its specification, where the definitions
    declare a fixed one: after the view's first materialization, the next apply would
    report it updated. Registered first as copies, the sources are unchanged when the views
    are applied, so the views keep the declared stamps."""
    for source in sources:
        store.registry.apply_data_source(copy.copy(source), store.project, commit=False)
    store.registry.commit()
