"""Where a feature repository keeps its data: every path derives from the repo root."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from axiom_features.storage.settings import StorageSettings


@dataclass(frozen=True)
class RepoPaths:
    """The on-disk layout of one repository (the folder holding ``feature_store.yaml``)."""

    root: Path
    storage: StorageSettings | None = None
    """Where lakes and offline tables live (:mod:`axiom_features.storage`); None: the
    repo's ``feature_store.yaml`` and the environment decide (default: ``data/`` here)."""

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def bars(self) -> Path:
        """Clean bars, one Parquet file per symbol."""
        return self.data / "lake" / "bars"

    @property
    def quarantine(self) -> Path:
        """Rows held back by the quality gate, one Parquet file per run."""
        return self.data / "quarantine"

    @property
    def offline(self) -> Path:
        """Offline feature tables: ``offline/<view>/<SYMBOL>.parquet``."""
        return self.data / "offline"

    @property
    def profiles(self) -> Path:
        return self.data / "profiles"

    @property
    def runs(self) -> Path:
        return self.data / "runs"

    def offline_view(self, view: str) -> Path:
        return self.offline / view
