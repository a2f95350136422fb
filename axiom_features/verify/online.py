"""The online store against the offline tables: each entity's online value must be the one
of its latest offline row (:mod:`axiom_features.online.consistency`, every entity compared)."""

from __future__ import annotations

from pathlib import Path

from axiom_features.feature_store import open_store
from axiom_features.online.consistency import Mismatch, check_consistency
from axiom_features.paths import RepoPaths
from axiom_features.verify.report import Damage

EVERY_ENTITY = 2**62


def _describe(mismatch: Mismatch) -> str:
    if mismatch.kind == "value":
        return (
            f"{mismatch.feature} is {mismatch.online} online, {mismatch.offline} in the latest "
            f"offline row ({mismatch.offline_timestamp})"
        )
    return (
        f"{mismatch.kind}: online row at {mismatch.online_timestamp}, latest offline row at "
        f"{mismatch.offline_timestamp}"
    )


def online_damage(root: Path, profile: str = "default") -> list[Damage]:
    """Every online value of ``profile``'s store (SQLite, Redis) that differs from the
    latest offline row of its entity, for the applied views a transform has written."""
    offline = RepoPaths(root).offline
    if not offline.is_dir() or not any(p.is_dir() for p in offline.iterdir()):
        return []  # nothing transformed, nothing to serve
    store = open_store(root, profile)
    views = [v.name for v in store.list_feature_views() if v.online and (offline / v.name).exists()]
    if not views:
        return []
    report = check_consistency(store, views=views, sample=EVERY_ENTITY)
    where = f"online ({profile})"
    return [
        Damage(where, f"{m.view} {','.join(map(str, m.entity.values()))}", _describe(m))
        for m in report.mismatches
    ]
