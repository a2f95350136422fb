"""Where a ``FileSource``'s Parquet files are read: its own path, or the repo's storage
(:mod:`axiom_features.storage`) when that is not the repo's ``data/`` and the path is one of
the folders kept there (``data/offline/<view>``): the same path under a shared folder, or
paths on the file system of a bucket.

The storage comes from the ``storage:`` block Feast keeps on its ``RepoConfig`` (the
profile's ``feature_store.yaml``), overridden by the environment as everywhere else.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow.dataset as ds
import pyarrow.fs as pafs

from axiom_features.offline import point_in_time as pit
from axiom_features.paths import RepoPaths
from axiom_features.storage.open import open_storage
from axiom_features.storage.settings import settings_from_block
from axiom_features.storage.store import Storage

_UNSET = re.compile(r"^\$\{\w+\}$")
"""A ``${NAME}`` Feast's loader left in place: the variable is not set."""


def offline_storage(config: Any) -> Storage | None:
    """The storage of ``config``'s repo unless it is the repo's ``data/`` (None: read the
    source paths as they are)."""
    if getattr(config, "repo_path", None) is None:
        return None
    block = getattr(config, "storage", None) or {}
    if isinstance(block, Mapping):
        block = {k: v for k, v in block.items() if not (isinstance(v, str) and _UNSET.match(v))}
    storage = open_storage(RepoPaths(Path(config.repo_path)).data, settings_from_block(block))
    return None if storage.in_place else storage


def source_filesystem(storage: Storage | None, path: Path) -> pafs.FileSystem | None:
    """The file system the files of ``path`` are on; None for local paths."""
    if storage is None or storage.local or not storage.shares(path):
        return None
    return storage.filesystem


def source_files(storage: Storage | None, path: Path) -> list[str]:
    """The Parquet files of a source path, as :func:`~axiom_features.offline.point_in_time.
    parquet_files` names them: local paths, or paths on the storage's file system."""
    if storage is None or not storage.shares(path):
        return pit.parquet_files(path)
    if storage.local:
        return pit.parquet_files(storage.locate(path))
    location = storage.locate(path)
    info = storage.filesystem.get_file_info(location)
    if info.type == pafs.FileType.File:
        return [location]
    if info.type != pafs.FileType.Directory:
        return []
    return sorted(ds.dataset(location, format="parquet", filesystem=storage.filesystem).files)


def source_exists(storage: Storage | None, path: Path) -> bool:
    """Whether a source path holds a table (a file, or a folder with files)."""
    if storage is None or not storage.shares(path):
        return path.exists()
    if storage.local:
        return Path(storage.locate(path)).exists()
    return storage.exists(path) or storage.is_dir(path)
