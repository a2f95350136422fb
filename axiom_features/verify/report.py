"""What ``axiom verify`` found: damaged files, profiles and online values."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Damage:
    """One damaged item: its store, where (a path under ``data/``, or a view and entity)
    and what is wrong."""

    store: str
    path: str
    reason: str


@dataclass
class VerifyReport:
    checked: int = 0
    """Data files compared with their recorded checksums."""
    unrecorded: int = 0
    profiles_checked: int = 0
    online_checked: list[str] = field(default_factory=list)
    """Profiles whose online store was compared with the offline tables."""
    damaged: list[Damage] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.damaged
