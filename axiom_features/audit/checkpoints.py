"""Signed checkpoints: the tree size, the Merkle root and the roots of its perfect subtrees,
signed with Ed25519, to be exported and kept elsewhere."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from axiom_features.audit.keys import public_pem, signature_valid
from axiom_features.audit.merkle import root, subtrees


@dataclass(frozen=True)
class Checkpoint:
    size: int
    root: str
    subtrees: list[str]
    """Roots of :func:`~axiom_features.audit.merkle.subtrees` (locate a rewritten range)."""
    time: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    public_key: str = ""
    signature: str = ""

    def message(self) -> bytes:
        parts = ["axiom-audit-checkpoint", str(self.size), self.root, *self.subtrees, self.time]
        return "\n".join(parts).encode()

    def valid(self, public: Ed25519PublicKey) -> bool:
        return signature_valid(public, self.signature, self.message())

    def write(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self), indent=2) + "\n")
        return path

    @classmethod
    def read(cls, path: Path) -> Checkpoint:
        try:
            return cls(**json.loads(path.read_text()))
        except (OSError, ValueError, TypeError) as exc:
            raise ValueError(f"{path}: not an audit checkpoint ({exc})") from exc


def make_checkpoint(hashes: list[bytes], key: Ed25519PrivateKey) -> Checkpoint:
    """A signed checkpoint of the log whose leaf hashes are ``hashes``."""
    spans = subtrees(len(hashes))
    unsigned = Checkpoint(
        size=len(hashes),
        root=root(hashes).hex(),
        subtrees=[root(hashes[a:b]).hex() for a, b in spans],
        public_key=public_pem(key),
    )
    signature = key.sign(unsigned.message()).hex()
    return Checkpoint(**{**asdict(unsigned), "signature": signature})
