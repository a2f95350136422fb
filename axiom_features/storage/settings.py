"""Where the shared data lives, read from the profile's ``feature_store.yaml`` and the
environment.

``feature_store.yaml`` (Feast keeps unknown top-level blocks)::

    storage:
      uri: s3://features/axiom          # a path, file:///mnt/shared/axiom, s3://bucket/prefix
      endpoint_url: ${AWS_ENDPOINT_URL}  # an S3-compatible server (MinIO, Ceph, ...)
      region: us-east-1
      access_key: ${AWS_ACCESS_KEY_ID}
      secret_key: ${AWS_SECRET_ACCESS_KEY}

Without a ``uri`` the data stays in the repo's ``data/`` folder. The environment wins over
the file: ``AXIOM_STORAGE_URI``, ``AWS_ENDPOINT_URL_S3`` or ``AWS_ENDPOINT_URL``,
``AWS_REGION`` or ``AWS_DEFAULT_REGION``, ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``,
``AWS_SESSION_TOKEN``. Credentials left out are found by the S3 client's own chain
(instance roles, ``~/.aws``) on each node.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True)
class StorageSettings:
    """Where lakes and offline tables are read and written; the repo's ``data/`` if no uri."""

    uri: str | None = None
    endpoint_url: str | None = None
    region: str | None = None
    access_key: str | None = None
    secret_key: str | None = None
    session_token: str | None = None

    @property
    def scheme(self) -> str:
        """``local`` (no uri), ``file`` (a path or ``file://``), or the URI's scheme."""
        if not self.uri:
            return "local"
        match = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*)://", self.uri)
        return match.group(1).lower() if match else "file"

    def __repr__(self) -> str:  # credentials never reach a log line or an error message
        shown = {f.name: getattr(self, f.name) for f in fields(self)}
        for secret in ("access_key", "secret_key", "session_token"):
            if shown[secret]:
                shown[secret] = "***"
        return f"StorageSettings({', '.join(f'{k}={v!r}' for k, v in shown.items() if v)})"


_ENV: tuple[tuple[str, str], ...] = (
    ("AXIOM_STORAGE_URI", "uri"),
    ("AWS_ENDPOINT_URL", "endpoint_url"),
    ("AWS_ENDPOINT_URL_S3", "endpoint_url"),
    ("AWS_DEFAULT_REGION", "region"),
    ("AWS_REGION", "region"),
    ("AWS_ACCESS_KEY_ID", "access_key"),
    ("AWS_SECRET_ACCESS_KEY", "secret_key"),
    ("AWS_SESSION_TOKEN", "session_token"),
)
"""Later variables win over earlier ones naming the same setting."""

_VARIABLE = re.compile(r"\$\{(\w+)\}")


def _file_block(config_file: Path | None, environ: Mapping[str, str]) -> Any:
    """The ``storage:`` block, ``${NAME}`` replaced from ``environ`` (unset: left out)."""
    if config_file is None or not config_file.is_file():
        return {}
    text = _text(str(config_file), config_file.stat().st_mtime_ns)
    names = tuple(sorted(set(_VARIABLE.findall(text))))
    return _block(text, tuple((name, environ.get(name, "")) for name in names))


@lru_cache(maxsize=16)
def _text(path: str, mtime_ns: int) -> str:
    return Path(path).read_text()


@lru_cache(maxsize=16)
def _block(text: str, variables: tuple[tuple[str, str], ...]) -> Any:
    values = dict(variables)
    expanded = _VARIABLE.sub(lambda m: values.get(m.group(1), ""), text)
    return (yaml.safe_load(expanded) or {}).get("storage") or {}


def storage_settings(
    config_file: Path | None = None, environ: Mapping[str, str] | None = None
) -> StorageSettings:
    """The settings of ``config_file``'s ``storage:`` block, overridden by the environment."""
    environ = os.environ if environ is None else environ
    return settings_from_block(_file_block(config_file, environ), environ, str(config_file))


def settings_from_block(
    block: Any, environ: Mapping[str, str] | None = None, where: str = "storage"
) -> StorageSettings:
    """The settings of a ``storage:`` mapping, overridden by the environment."""
    environ = os.environ if environ is None else environ
    if not isinstance(block, Mapping):
        raise ValueError(f"{where}: 'storage' must be a mapping")
    values = {k: str(v) for k, v in block.items() if v not in (None, "")}
    unknown = set(values) - {f.name for f in fields(StorageSettings)}
    if unknown:
        raise ValueError(f"{where}: unknown storage setting(s): {', '.join(sorted(unknown))}")
    settings = StorageSettings(**values)
    for variable, name in _ENV:
        raw = environ.get(variable, "").strip()
        if raw:
            settings = replace(settings, **{name: raw})
    return settings
