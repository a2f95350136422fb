"""A file large enough to be streamed follows ``--on-conflict`` like any other import.

The streaming threshold (256 MB) is lowered so that a small vendor file takes the streamed
path, in chunks of a few rows.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from axiom_features.ingest import QualityOptions, import_bars, importer
from axiom_features.lakes.bars import BarLake
from axiom_features.lakes.history import read_history, recompute_marks
from axiom_features.paths import RepoPaths
from axiom_features.quality.quarantine import read_quarantine
from axiom_features.quality.store import findings_path
from axiom_features.synthetic.bars import generate_bars

NOW = datetime(2026, 6, 30, 22, 0, tzinfo=UTC)
CORRECTED = [7, 19, 33]  # rows of the 2 x 20 bars whose close the vendor corrected


@pytest.fixture
def streamed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importer, "STREAM_BYTES", 1024)
    monkeypatch.setattr(importer, "STREAM_CHUNK_ROWS", 8)


@pytest.fixture
def corrected_file(tmp_path: Path) -> tuple[RepoPaths, pd.DataFrame, Path]:
    """A lake holding 2 x 20 bars, and the vendor's file of the same bars, three corrected."""
    repo = RepoPaths(tmp_path / "repo")
    bars = generate_bars(["AAA", "BBB"], 20, seed=4, end=NOW).drop(columns="created_timestamp")
    first = tmp_path / "first.csv"
    bars.to_csv(first, index=False)
    import_bars(first, repo, run_id="r0", quality=QualityOptions(engine="duckdb"))
    fixed = bars.copy()
    fixed.loc[CORRECTED, "close"] *= 1.01
    fixed.loc[CORRECTED, "high"] = fixed.loc[CORRECTED, ["high", "close"]].max(axis=1)
    path = tmp_path / "corrected.csv"
    fixed.to_csv(path, index=False)
    assert path.stat().st_size > 1024
    return repo, fixed, path


def _import(repo: RepoPaths, path: Path, policy: str):  # noqa: ANN202 - ImportResult
    quality = QualityOptions(on_conflict=policy, engine="duckdb")
    return import_bars(path, repo, run_id="r1", quality=quality)


def _closes(repo: RepoPaths) -> pd.Series:
    lake = BarLake(repo).read().to_pandas().sort_values(["symbol", "event_timestamp"])
    return lake["close"].reset_index(drop=True)


def test_a_streamed_import_holds_corrections_by_default_with_a_finding(streamed, corrected_file):
    repo, fixed, path = corrected_file
    before = _closes(repo)

    result = _import(repo, path, "quarantine")

    assert any(note.startswith("streamed in") for note in result.files[0].notes)
    assert (result.corrections, result.quarantined, result.replaced) == (3, 3, 0)
    assert result.on_conflict == "quarantine"
    assert read_quarantine(repo, "r1")["failed_rules"].tolist() == ["correction"] * 3
    findings = pd.read_parquet(findings_path(repo, "r1"))
    assert (findings["detector"] == "correction").sum() == 3
    assert _closes(repo).equals(before)


def test_a_streamed_import_replaces_corrections_and_keeps_the_old_versions(
    streamed, corrected_file
):
    repo, fixed, path = corrected_file
    before = _closes(repo)

    result = _import(repo, path, "replace")

    assert (result.corrections, result.replaced, result.quarantined) == (3, 3, 0)
    expected = fixed.sort_values(["symbol", "event_timestamp"])["close"].reset_index(drop=True)
    assert _closes(repo).tolist() == pytest.approx(expected.tolist())
    history = pd.concat([read_history(repo, s) for s in ("AAA", "BBB")])
    assert sorted(history["close"]) == pytest.approx(sorted(before[before != _closes(repo)]))
    marks = recompute_marks(repo)
    first = fixed.loc[CORRECTED].groupby("symbol")["event_timestamp"].min()
    assert {s: pd.Timestamp(t) for s, t in marks.items()} == {
        s: pd.Timestamp(t).tz_convert("UTC") for s, t in first.items()
    }


def test_a_streamed_import_can_keep_the_stored_bars_and_still_count_corrections(
    streamed, corrected_file
):
    repo, _, path = corrected_file
    before = _closes(repo)

    result = _import(repo, path, "keep")

    assert (result.corrections, result.replaced, result.quarantined) == (3, 0, 0)
    assert (pd.read_parquet(findings_path(repo, "r1"))["detector"] == "correction").sum() == 3
    assert _closes(repo).equals(before)
