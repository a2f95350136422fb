"""Multi-provider consensus: median bars, flagged disagreements, scores, fallback."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from axiom_features.ingest import QualityOptions
from axiom_features.lakes.bars import BarLake
from axiom_features.paths import RepoPaths
from axiom_features.pipeline import jobs
from axiom_features.quality.consensus import (
    ProviderScores,
    consensus_bars,
    load_feeds,
    synthetic_providers,
)
from tests.quality_helpers import NOW, clean_bars


@pytest.fixture(scope="module")
def truth() -> pd.DataFrame:
    return clean_bars(4, 100)


def _keys(frame: pd.DataFrame) -> set[tuple[str, pd.Timestamp]]:
    return set(
        zip(frame["symbol"], pd.to_datetime(frame["event_timestamp"], utc=True), strict=True)
    )


def test_three_providers_give_the_median_and_flag_exactly_the_injected_rows(truth):
    made = synthetic_providers(truth, disagree_rows=25, seed=1)

    result = consensus_bars(made.frames)

    assert len(result.bars) == len(truth) and set(result.bars["source"]) == {"consensus"}
    assert np.allclose(result.bars["close"], truth["close"], rtol=1e-3)
    flagged = result.disagreements
    assert set(flagged["provider"]) == {"gamma"}
    assert _keys(flagged) == _keys(made.disagreements)
    assert result.agreement["gamma"] == pytest.approx(1 - 25 / len(truth))
    assert result.agreement["alpha"] == result.agreement["beta"] == 1.0


def test_the_consensus_bar_keeps_ohlc_order(truth):
    made = synthetic_providers(truth, noise_bp=50, seed=2)
    bars = consensus_bars(made.frames).bars
    assert (bars["high"] >= bars[["open", "close", "low"]].max(axis=1)).all()
    assert (bars["low"] <= bars[["open", "close"]].min(axis=1)).all()


def test_with_two_providers_both_sides_of_a_disagreement_are_flagged(truth):
    made = synthetic_providers(truth, ("alpha", "beta"), disagree_rows=3, disagree_size=0.05)
    flagged = consensus_bars(made.frames).disagreements
    assert set(flagged["provider"]) == {"alpha", "beta"}
    assert _keys(flagged) == _keys(made.disagreements)


def test_a_provider_that_fails_or_misses_bars_falls_back_to_the_others(truth):
    made = synthetic_providers(truth, missing_share=0.2, seed=3)

    def broken() -> pd.DataFrame:
        raise ConnectionError("vendor down")

    frames, failed = load_feeds({**{n: (lambda f=f: f) for n, f in made.frames.items()},
                                 "delta": broken})  # fmt: skip
    result = consensus_bars(frames, failed=failed)

    assert failed == {"delta": "ConnectionError: vendor down"}
    assert len(result.bars) == len(truth)
    assert result.coverage["alpha"] == 1.0 and result.coverage["beta"] < 0.9
    assert result.support["providers"].min() >= 1


def test_no_provider_at_all_is_an_error():
    with pytest.raises(ValueError, match="no provider"):
        consensus_bars({}, failed={"a": "down"})


def test_consensus_ingest_stores_bars_disagreements_and_running_scores(tmp_path: Path, truth):
    root = tmp_path / "repo"
    made = synthetic_providers(truth, disagree_rows=10, seed=4)
    feeds = {n: (lambda f=f: f) for n, f in made.frames.items()}
    options = QualityOptions(now=NOW)

    first = jobs.consensus_ingest(root, feeds, quality=options)
    feeds["gamma"] = lambda: (_ for _ in ()).throw(TimeoutError("late"))
    second = jobs.consensus_ingest(root, feeds, quality=options)

    assert first.imported.accepted == len(truth) and first.imported.quarantined == 0
    flagged = pd.read_parquet(first.disagreements_path)
    assert len(_keys(flagged)) == 10 and set(flagged["field"]) == {"open", "high", "low", "close"}
    stored = BarLake(RepoPaths(root)).read().to_pandas()
    assert set(stored["source"]) == {"consensus"} and len(stored) == len(truth)
    assert second.imported.new_rows == 0
    scores = ProviderScores(RepoPaths(root)).scores()
    assert scores["alpha"] == 1.0
    assert scores["gamma"] == pytest.approx(0.8 * (1 - 10 / len(truth)))
