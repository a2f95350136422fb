"""The tamper-evident audit log: hash-linked entries, a Merkle tree, signed heads and
checkpoints (certificate-transparency style, RFC 6962 hashing, Ed25519 signatures)."""
