"""One audit entry: a canonical JSON body, hash-linked to the entry before it.

A stored line is ``<leaf hash hex> <body>``; the leaf hash is RFC 6962's ``SHA-256(0x00 ||
body)``, and the body holds ``seq`` (its position) and ``prev`` (the previous entry's leaf
hash), so an edit, a deletion or a move breaks the entry itself or the link after it.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from axiom_features.audit.merkle import leaf_hash

GENESIS = "0" * 64
"""``prev`` of the first entry."""


@dataclass(frozen=True)
class Action:
    """A state-changing action to record: who did what, on what, producing what."""

    command: str
    actor: str = field(default_factory=lambda: os.environ.get("AXIOM_ACTOR") or current_user())
    inputs: list[dict[str, Any]] = field(default_factory=list)
    """``{"name": ..., "sha256": ...}`` per input (the hash when the content is a file)."""
    outputs: list[dict[str, Any]] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    time: str = field(default_factory=lambda: datetime.now(UTC).isoformat())


def current_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid:{os.getuid()}"


def body(action: Action, seq: int, prev: str) -> bytes:
    """The canonical bytes of an entry (sorted keys, no spaces, UTF-8)."""
    record = {
        "seq": seq,
        "prev": prev,
        "time": action.time,
        "actor": action.actor,
        "command": action.command,
        "inputs": action.inputs,
        "outputs": action.outputs,
        "details": action.details,
    }
    return json.dumps(record, sort_keys=True, separators=(",", ":"), default=str).encode()


def line(body_bytes: bytes) -> tuple[bytes, str]:
    """The stored line of ``body_bytes`` and its leaf hash (hex)."""
    digest = leaf_hash(body_bytes).hex()
    return digest.encode() + b" " + body_bytes, digest


def named(name: str, path: Path | None = None) -> dict[str, Any]:
    """An input or output by name, with the sha256 of its file when ``path`` is a file."""
    item: dict[str, Any] = {"name": name}
    if path is not None and path.is_file():
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            while chunk := handle.read(2**20):
                digest.update(chunk)
        item["sha256"] = digest.hexdigest()
    return item
