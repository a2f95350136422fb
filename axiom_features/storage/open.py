"""From settings to a :class:`~axiom_features.storage.store.Storage`: the file system a base
URI names (pyarrow's own for local paths and ``s3://``, fsspec's for any other scheme)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pyarrow.fs as pafs

from axiom_features.storage.settings import StorageSettings
from axiom_features.storage.store import Storage


def open_storage(data: Path, settings: StorageSettings) -> Storage:
    """The storage of the data folder ``data`` under ``settings`` (opened once per process)."""
    return _open(data, settings)


@lru_cache(maxsize=32)
def _open(data: Path, settings: StorageSettings) -> Storage:
    scheme = settings.scheme
    if scheme == "local":
        return Storage(data, pafs.LocalFileSystem(), str(data), local=True, uri=str(data))
    uri = settings.uri or ""
    if scheme == "file":
        path = Path(unquote(urlsplit(uri).path) if uri.startswith("file://") else uri)
        base = path if path.is_absolute() else data.parent / path
        return Storage(data, pafs.LocalFileSystem(), str(base), local=True, uri=uri)
    base = uri.split("://", 1)[1].strip("/")
    if not base:
        raise ValueError(f"storage uri {uri!r} names no bucket or folder")
    if scheme in ("s3", "s3a"):
        return Storage(data, s3_filesystem(settings), base, local=False, uri=uri)
    return Storage(data, _fsspec_filesystem(scheme), base, local=False, uri=uri)


def s3_filesystem(settings: StorageSettings) -> pafs.S3FileSystem:
    """pyarrow's S3 client for ``settings`` (an S3-compatible server at ``endpoint_url``)."""
    options: dict[str, object] = {}
    if settings.endpoint_url:
        endpoint = urlsplit(settings.endpoint_url)
        if endpoint.scheme and endpoint.netloc:
            options["endpoint_override"] = endpoint.netloc + endpoint.path.rstrip("/")
            options["scheme"] = endpoint.scheme
        else:
            options["endpoint_override"] = settings.endpoint_url
        options["region"] = settings.region or "us-east-1"
    elif settings.region:
        options["region"] = settings.region
    if settings.access_key and settings.secret_key:
        options["access_key"] = settings.access_key
        options["secret_key"] = settings.secret_key
        if settings.session_token:
            options["session_token"] = settings.session_token
    return pafs.S3FileSystem(**options)


def _fsspec_filesystem(scheme: str) -> pafs.FileSystem:
    """Any other fsspec protocol (``gs``, ``az``, ``memory``...), configured by fsspec itself."""
    import fsspec

    return pafs.PyFileSystem(pafs.FSSpecHandler(fsspec.filesystem(scheme)))
