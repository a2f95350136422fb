"""Incremental features equal the batch transform, bar by bar, for every bar-based feature.

The batch side is the transform job itself (``axiom transform``) over the lake; the
incremental side is warmed from the first bars and fed the rest in whole market rows, one
day or several at a time. TA-Lib features must match bit for bit; the tail-evaluated
families (microstructure, risk, regime) to 1e-12 relative.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from axiom_features.incremental import state as incremental
from axiom_features.ingest import import_frame
from axiom_features.paths import RepoPaths
from axiom_features.pipeline.transform_job import run_transform_job
from axiom_features.synthetic.bars import generate_bars
from transforms.catalogue import catalogue

END = datetime(2026, 3, 31, 22, tzinfo=UTC)
SYMBOLS = ["AXM", "BLQ", "CRX"]
DAYS = 330
CHUNKS = (1, 7, 30)
RELATIVE = 1e-12


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The bars and the transform job's offline rows of every bar-based view, wide."""
    repo = RepoPaths(tmp_path_factory.mktemp("incremental"))
    bars = generate_bars(SYMBOLS, DAYS, seed=11, end=END)
    import_frame(bars, repo, run_id="r", source="synthetic")
    views = [v.name for v in incremental.bar_views()]
    run_transform_job(repo, views=views, workers=1)
    frames = []
    for symbol in SYMBOLS:
        parts = [
            pq.read_table(repo.offline_view(view) / f"{symbol}.parquet").to_pandas()
            for view in views
        ]
        keys = parts[0][["symbol", "event_timestamp"]]
        features = [
            p.drop(columns=["symbol", "event_timestamp", "created_timestamp"]) for p in parts
        ]
        frames.append(pd.concat([keys, *features], axis=1))
    expected = pd.concat(frames, ignore_index=True)
    return bars, expected.sort_values(["event_timestamp", "symbol"]).reset_index(drop=True)


def _stream(bars: pd.DataFrame, warm_days: int, save_at: Path | None = None) -> pd.DataFrame:
    """Warm on the first ``warm_days`` sessions, then update in chunks of whole sessions."""
    times = np.sort(bars["event_timestamp"].unique())
    state = incremental.warm(bars[bars["event_timestamp"] <= times[warm_days - 1]])
    rows, start, turn = [], warm_days, 0
    while start < len(times):
        size = CHUNKS[turn % len(CHUNKS)]
        chunk = bars[bars["event_timestamp"].isin(times[start : start + size])]
        rows.append(incremental.update(state, chunk))
        start, turn = start + size, turn + 1
        if save_at is not None and turn == 3:
            incremental.save(state, save_at)
            state = incremental.load(save_at)
    return pd.concat(rows, ignore_index=True)


def _compare(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    expected = expected[expected["event_timestamp"].isin(got["event_timestamp"])]
    expected = expected.reset_index(drop=True)
    assert list(got["symbol"]) == list(expected["symbol"].astype(str))
    assert (got["event_timestamp"].to_numpy() == expected["event_timestamp"].to_numpy()).all()
    talib = {
        f.name
        for v in incremental.bar_views()
        if catalogue().family_of(v.name) == "talib"
        for f in v.features
    }
    assert set(got.columns[2:]) == {f.name for v in incremental.bar_views() for f in v.features}
    for name in got.columns[2:]:
        a, e = got[name].to_numpy(), expected[name].to_numpy()
        assert np.array_equal(np.isnan(a), np.isnan(e)), f"{name}: missing values differ"
        if name in talib:
            assert np.array_equal(a, e, equal_nan=True), f"{name}: not bit for bit"
        else:
            finite = ~np.isnan(e)
            error = np.abs(a[finite] - e[finite])
            assert (error <= RELATIVE * np.abs(e[finite])).all(), (
                f"{name}: relative error {np.max(error / np.abs(e[finite]))}"
            )


@pytest.mark.parametrize("warm_days", [3, 160])
def test_every_bar_feature_equals_the_batch_transform(batch, warm_days: int) -> None:
    bars, expected = batch
    _compare(_stream(bars, warm_days), expected)


def test_a_saved_state_resumes_with_the_same_values(batch, tmp_path: Path) -> None:
    bars, expected = batch
    got = _stream(bars, 200, save_at=tmp_path / "state.parquet")
    _compare(got, expected)


def test_a_bar_older_than_the_state_is_refused(batch) -> None:
    bars, _ = batch
    state = incremental.warm(bars)
    with pytest.raises(ValueError, match="AXM .* is not newer"):
        incremental.update(state, bars[bars["symbol"] == "AXM"].tail(1))


def test_a_market_row_split_across_updates_is_revised_to_the_batch_values(batch) -> None:
    bars, expected = batch
    times = np.sort(bars["event_timestamp"].unique())
    state = incremental.warm(bars[bars["event_timestamp"] <= times[299]])
    day = bars[bars["event_timestamp"] == times[300]]
    first, _ = incremental.update_with_revisions(state, day[day["symbol"] != "CRX"])
    rows, revised = incremental.update_with_revisions(state, day[day["symbol"] == "CRX"])
    assert sorted(revised["symbol"]) == ["AXM", "BLQ"]
    assert set(revised.columns[2:]) == {
        f.name for v in incremental.bar_views() if v.name in ("risk", "regime") for f in v.features
    }
    final = first.set_index("symbol")
    final.loc[revised["symbol"], revised.columns[2:]] = revised.set_index("symbol")
    final = pd.concat([final.reset_index(), rows]).sort_values("symbol").reset_index(drop=True)
    _compare(final[first.columns], expected)
    assert not np.array_equal(
        first.set_index("symbol").loc[["AXM", "BLQ"], "risk_beta_63"].to_numpy(),
        revised.set_index("symbol").loc[["AXM", "BLQ"], "risk_beta_63"].to_numpy(),
    ), "the late bar changes the market return, so beta must change"
