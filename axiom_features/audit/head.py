"""The signed head: how many entries the log holds and the leaf hash of the last one."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from axiom_features.audit.entries import GENESIS
from axiom_features.audit.keys import signature_valid


@dataclass(frozen=True)
class Head:
    size: int
    tip: str
    """Leaf hash (hex) of entry ``size - 1``; :data:`GENESIS` when empty."""
    signature: str = ""

    def message(self) -> bytes:
        return f"axiom-audit-head\n{self.size}\n{self.tip}".encode()

    def signed(self, key: Ed25519PrivateKey) -> Head:
        return Head(self.size, self.tip, key.sign(self.message()).hex())

    def valid(self, public: Ed25519PublicKey) -> bool:
        return signature_valid(public, self.signature, self.message())

    def to_dict(self) -> dict:
        return asdict(self)


EMPTY_HEAD = Head(0, GENESIS)
