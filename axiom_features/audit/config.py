"""Typed configuration of the audit log's store, one class per backend (Feast's style)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from axiom_features.audit.stores import AuditStore, FileAuditStore, PostgresAuditStore


class FileAuditStoreConfig(BaseModel):
    """The log as a local file (the default profile)."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["file"] = "file"
    path: str = "data/audit"
    """Folder of ``audit.log`` and ``head.json``, relative to the repository root."""


class PostgresAuditStoreConfig(BaseModel):
    """The log as a PostgreSQL table (the production profile)."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["postgres"]
    url: str = "${AXIOM_POSTGRES_URL}"
    """Connection URL; environment variables are expanded."""
    table: str = Field("axiom_audit_log", pattern=r"^[a-z_][a-z0-9_]*$")


AuditStoreConfig = Annotated[
    FileAuditStoreConfig | PostgresAuditStoreConfig, Field(discriminator="type")
]


class AuditConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    store: AuditStoreConfig = Field(default_factory=FileAuditStoreConfig)
    key_path: str = "data/audit/signing_key.pem"
    """The Ed25519 signing key (created on first use); ``AXIOM_AUDIT_KEY`` overrides it."""


def open_store(config: AuditConfig, root: Path) -> AuditStore:
    store = config.store
    if isinstance(store, PostgresAuditStoreConfig):
        url = os.path.expandvars(store.url)
        if not url or "$" in url:
            raise ValueError(f"audit.store.url: {store.url!r} is not set in the environment")
        return PostgresAuditStore(url, store.table)
    return FileAuditStore(root / store.path)


def key_path(config: AuditConfig, root: Path) -> Path:
    return Path(os.environ.get("AXIOM_AUDIT_KEY") or root / config.key_path)


def for_profile(profile: str) -> AuditConfig:
    """The production profile keeps the log in PostgreSQL (``AXIOM_POSTGRES_URL``); every
    other profile in ``data/audit``."""
    if profile == "production":
        return AuditConfig(store=PostgresAuditStoreConfig(type="postgres"))
    return AuditConfig()
