"""Check a log end to end and name the first entry that is not what was written.

Per line: it parses, its leaf hash matches its body, its ``seq`` is its position and its
``prev`` is the previous entry's hash. Then the signed head: its signature, its size (a
shorter log was truncated, a longer one was appended to behind the signer's back) and its
tip. With a checkpoint: its signature and the Merkle root of its first ``size`` entries.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from axiom_features.audit.checkpoints import Checkpoint
from axiom_features.audit.entries import GENESIS
from axiom_features.audit.head import Head
from axiom_features.audit.merkle import LEAF_PREFIX, root
from axiom_features.audit.merkle import subtrees as frontier


@dataclass(frozen=True)
class Verdict:
    """The outcome: ``first_bad`` is None when the log is intact."""

    entries: int
    first_bad: int | None = None
    reason: str = ""
    root: str = ""

    @property
    def ok(self) -> bool:
        return self.first_bad is None

    def summary(self) -> str:
        if self.ok:
            return f"audit log intact: {self.entries} entries, root {self.root}"
        return f"audit log tampered: entry {self.first_bad}: {self.reason}"


def verify(
    lines: Iterable[bytes],
    head: Head | None,
    public: Ed25519PublicKey,
    checkpoint: Checkpoint | None = None,
) -> Verdict:
    """Verify the log's ``lines`` against its ``head`` (and a ``checkpoint``, if given)."""
    sha = hashlib.sha256
    hashes: list[bytes] = []
    prev = GENESIS
    for seq, text in enumerate(lines):
        stated, space, body = text.partition(b" ")
        if not space or len(stated) != 64:
            return Verdict(seq, seq, "line is not '<hash> <entry>'")
        digest = sha(LEAF_PREFIX + body).digest()
        if digest.hex().encode() != stated:
            return Verdict(seq, seq, "its hash does not match its content (edited)")
        try:
            record = json.loads(body)
            number, link = record["seq"], record["prev"]
        except (ValueError, KeyError, TypeError):
            return Verdict(seq, seq, "entry is not a JSON record with seq and prev")
        if number != seq:
            return Verdict(seq, seq, f"holds entry {number} at position {seq} (deleted, moved "
                                     "or inserted entries)")  # fmt: skip
        if link != prev:
            # This entry's own hash is right, so its link is as written: the entry before it
            # was replaced by one with a recomputed hash.
            return Verdict(seq, seq - 1, f"entry {seq} does not link to it (rehashed)")
        hashes.append(digest)
        prev = digest.hex()
    count = len(hashes)
    tree = root(hashes).hex()
    if head is None:
        if count:
            return Verdict(count, 0, "the log has entries but no signed head")
        return Verdict(0, root=tree)
    if not head.valid(public):
        return Verdict(count, min(head.size, count), "the head's signature is not valid")
    if count < head.size:
        return Verdict(count, count, f"truncated: the signed head records {head.size} entries, "
                                     f"the log holds {count}")  # fmt: skip
    if count > head.size:
        return Verdict(count, head.size, f"appended after the signed head ({head.size} entries)")
    if count and hashes[-1].hex() != head.tip:
        return Verdict(count, count - 1, "the last entry differs from the signed head's tip")
    if checkpoint is not None:
        problem = _against_checkpoint(hashes, checkpoint, public)
        if problem is not None:
            return Verdict(count, *problem)
    return Verdict(count, root=tree)


def _against_checkpoint(
    hashes: list[bytes], checkpoint: Checkpoint, public: Ed25519PublicKey
) -> tuple[int, str] | None:
    if not checkpoint.valid(public):
        return 0, "the checkpoint's signature is not valid for this log's key"
    if len(hashes) < checkpoint.size:
        return len(hashes), f"the checkpoint covers {checkpoint.size} entries, the log holds " \
                            f"{len(hashes)}"  # fmt: skip
    for (start, end), expected in zip(frontier(checkpoint.size), checkpoint.subtrees, strict=True):
        if root(hashes[start:end]).hex() != expected:
            return start, f"entries {start}..{end - 1} differ from the checkpoint (rewritten)"
    return None
