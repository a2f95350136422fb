"""Each provider's running quality score, updated after every consensus batch.

A batch scores a provider ``agreement × coverage`` (share of the consensus bars it delivered
without disagreeing); a provider that failed to load scores 0. The running score is an
exponentially weighted mean, ``score ← (1 − α)·score + α·batch`` with α = 0.2, starting at
the first batch's value. Stored in ``data/quality/providers.json`` with its history.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from axiom_features.paths import RepoPaths
from axiom_features.quality.consensus.merge import ConsensusResult
from axiom_features.quality.store import quality_dir, write_json

ALPHA = 0.2


class ProviderScores:
    def __init__(self, repo: RepoPaths) -> None:
        self.path: Path = quality_dir(repo) / "providers.json"

    def read(self) -> dict[str, Any]:
        return json.loads(self.path.read_text()) if self.path.exists() else {}

    def scores(self) -> dict[str, float]:
        return {name: entry["score"] for name, entry in self.read().items()}

    def update(self, result: ConsensusResult, run_id: str) -> dict[str, float]:
        """Fold one batch into every provider's running score; returns the new scores."""
        state = self.read()
        batch = {n: result.agreement[n] * result.coverage[n] for n in result.agreement}
        batch.update({n: 0.0 for n in result.failed})
        now = datetime.now(UTC).isoformat()
        for name, value in batch.items():
            entry = state.get(name)
            score = value if entry is None else (1 - ALPHA) * entry["score"] + ALPHA * value
            history = (entry or {}).get("history", [])[-99:]
            history.append({"run_id": run_id, "at": now, "batch": round(value, 6)})
            state[name] = {"score": round(score, 6), "history": history}
        write_json(self.path, state)
        return {n: state[n]["score"] for n in batch}
