"""Typed lineage configuration: one class per transport (Feast's plugin-config style).

The default writes events as JSON lines under ``data/lineage/``; ``AXIOM_LINEAGE_URL``
switches to HTTP (a Marquez-compatible ``/api/v1/lineage`` endpoint); ``AXIOM_LINEAGE=off``
records nothing (the benchmark's baseline).
"""

from __future__ import annotations

import os
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from axiom_features.audit.config import AuditConfig, for_profile


class FileTransportConfig(BaseModel):
    """Events appended, one JSON document per line, to a local file."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["file"] = "file"
    path: str = "data/lineage/events.jsonl"
    """Relative to the repository root."""


class HttpTransportConfig(BaseModel):
    """Events POSTed to an OpenLineage HTTP endpoint such as Marquez."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["http"]
    url: str
    """Base URL, e.g. ``http://marquez:5000``."""
    endpoint: str = "api/v1/lineage"
    timeout_seconds: float = Field(5.0, gt=0)
    api_key_env: str | None = None
    """Name of an environment variable holding a bearer token, if the endpoint needs one."""


TransportConfig = Annotated[FileTransportConfig | HttpTransportConfig, Field(discriminator="type")]


class LineageConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    namespace: str = "axiom"
    """OpenLineage namespace of the platform's jobs and datasets."""
    transport: TransportConfig = Field(default_factory=FileTransportConfig)
    audit: AuditConfig = Field(default_factory=AuditConfig)


def active_profile() -> str:
    """The profile of the ``axiom`` command being run (its ``--profile``), else
    ``AXIOM_PROFILE``, else ``default``."""
    import click

    ctx = click.get_current_context(silent=True)
    profile = getattr(ctx.find_root().obj, "profile", None) if ctx is not None else None
    return profile or os.environ.get("AXIOM_PROFILE") or "default"


def lineage_config(profile: str | None = None) -> LineageConfig:
    """The configuration of ``profile`` (default: the active one) and the environment."""
    profile = profile or active_profile()
    enabled = os.environ.get("AXIOM_LINEAGE", "on").lower() not in ("off", "0", "false", "no")
    url = os.environ.get("AXIOM_LINEAGE_URL")
    transport = HttpTransportConfig(type="http", url=url) if url else FileTransportConfig()
    return LineageConfig(enabled=enabled, transport=transport, audit=for_profile(profile))
