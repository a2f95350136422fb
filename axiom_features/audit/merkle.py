"""RFC 6962 Merkle tree hashing: leaves, nodes, the tree head and its perfect subtrees."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    """``SHA-256(0x00 || data)``."""
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """``SHA-256(0x01 || left || right)``."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def root(leaves: Sequence[bytes]) -> bytes:
    """The Merkle tree hash of ``leaves`` (already leaf-hashed), as RFC 6962 defines it.

    Pairs are hashed level by level and a lone last node is carried up unchanged, which
    yields the same left-balanced tree as the RFC's recursive split.
    """
    if not leaves:
        return EMPTY_ROOT
    level = list(leaves)
    sha = hashlib.sha256
    while len(level) > 1:
        paired = [
            sha(NODE_PREFIX + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)
        ]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def subtrees(size: int) -> list[tuple[int, int]]:
    """The perfect subtrees ``[start, end)`` that cover the first ``size`` leaves, largest
    first (the tree's frontier): a checkpoint keeps their roots to locate a rewrite."""
    spans, start = [], 0
    while start < size:
        width = 1 << ((size - start).bit_length() - 1)
        spans.append((start, start + width))
        start += width
    return spans
