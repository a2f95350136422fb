"""Record actions in the audit log, take checkpoints and verify it: the Python API behind
``axiom audit``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from axiom_features.audit.checkpoints import Checkpoint, make_checkpoint
from axiom_features.audit.config import AuditConfig, key_path, open_store
from axiom_features.audit.entries import Action, body, line
from axiom_features.audit.head import Head
from axiom_features.audit.keys import load_or_create_key, load_public
from axiom_features.audit.stores import AuditStore, current_head
from axiom_features.audit.verify import Verdict, verify


class AuditLog:
    """The append-only log of one repository (file or PostgreSQL, per its configuration)."""

    def __init__(self, root: Path, config: AuditConfig | None = None) -> None:
        self.root = root
        self.config = config or AuditConfig()
        self.store: AuditStore = open_store(self.config, root)
        self._key_path = key_path(self.config, root)

    @property
    def key(self):  # noqa: ANN201 - Ed25519PrivateKey
        return load_or_create_key(self._key_path)

    def append(self, actions: Sequence[Action]) -> Head:
        """Append ``actions`` in order, hash-linked, and sign the new head."""
        key = self.key
        with self.store.locked():
            head = current_head(self.store)
            prev, lines = head.tip, []
            for offset, action in enumerate(actions):
                stored, prev = line(body(action, head.size + offset, prev))
                lines.append(stored)
            new_head = Head(head.size + len(lines), prev).signed(key)
            self.store.append(lines, new_head)
        return new_head

    def close(self) -> None:
        """Release the store's connection, if it holds one."""
        closing = getattr(self.store, "close", None)
        if closing is not None:
            closing()

    def record(self, action: Action) -> Head:
        return self.append([action])

    def entries(self) -> list[dict]:
        import json

        return [json.loads(text.partition(b" ")[2]) for text in self.store.lines()]

    def checkpoint(self, out: Path | None = None) -> tuple[Checkpoint, Path]:
        """Sign a checkpoint of the log as it is (verified first) and write it to ``out``
        (default ``data/audit/checkpoints/<size>.json``)."""
        verdict = self.verify()
        if not verdict.ok:
            raise ValueError(f"no checkpoint of a tampered log: {verdict.summary()}")
        hashes = [bytes.fromhex(text[:64].decode()) for text in self.store.lines()]
        made = make_checkpoint(hashes, self.key)
        path = out or self.root / "data" / "audit" / "checkpoints" / f"{made.size:012d}.json"
        return made, made.write(path)

    def verify(
        self, checkpoint: Path | Checkpoint | None = None, public_key: Path | None = None
    ) -> Verdict:
        """Verify every entry, the signed head and (if given) a checkpoint."""
        public = load_public(public_key.read_bytes()) if public_key else self.key.public_key()
        if isinstance(checkpoint, Path):
            checkpoint = Checkpoint.read(checkpoint)
        return verify(self.store.lines(), self.store.head(), public, checkpoint)
