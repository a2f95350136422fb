"""Financial labels: the vectorised triple barrier equals a per-event loop; every label has
its t0/t1; uniqueness weights; fixed horizon, trend scanning and meta-labels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from axiom_features.labeling.barriers import (
    Barriers,
    meta_labels,
    series_ends,
    triple_barrier,
    triple_barrier_loop,
    volatility,
)
from axiom_features.labeling.financial import label_bars
from axiom_features.labeling.horizons import fixed_horizon, trend_scanning
from axiom_features.labeling.uniqueness import average_uniqueness, concurrency
from axiom_features.synthetic.bars import generate_bars


def _walk(seed: int, n: int) -> np.ndarray:
    return 100 * np.exp(np.cumsum(np.random.default_rng(seed).normal(0, 0.01, n)))


def test_vectorised_triple_barrier_equals_the_per_event_loop_on_random_settings():
    rng = np.random.default_rng(0)
    for seed in range(40):
        close = _walk(seed, int(rng.integers(30, 400)))
        barriers = Barriers(
            profit_taking=float(rng.choice([0.0, 0.5, 1.0, 2.0])),
            stop_loss=float(rng.choice([0.0, 0.5, 1.0, 3.0])),
            horizon=int(rng.integers(1, 40)),
        )
        side = rng.choice([-1.0, 0.0, 1.0], len(close)) if seed % 2 else None
        events = np.sort(rng.choice(len(close), len(close) // 2, replace=False))
        target = volatility(close, 10)
        fast = triple_barrier(close, events, target, barriers, side)
        slow = triple_barrier_loop(close, events, target, barriers, side)
        for field in ("start", "end", "label", "barrier"):
            assert np.array_equal(getattr(fast, field), getattr(slow, field)), (seed, field)
        assert np.allclose(fast.ret, slow.ret)


def test_a_barrier_touch_ends_the_label_and_sets_its_sign():
    close = np.array([100, 100, 100, 100, 101, 103, 90, 100, 100, 100, 100.0])
    out = triple_barrier(close, np.array([3]), np.full(11, 0.02), Barriers(1, 1, 5))
    assert (out.end[0], out.label[0], out.barrier[0]) == (5, 1, 1)  # +3% at bar 5
    short = triple_barrier(close, np.array([3]), np.full(11, 0.02), Barriers(1, 1, 5), -np.ones(11))
    assert (short.end[0], short.label[0]) == (5, -1)  # the rise stops the short out first
    later = triple_barrier(close, np.array([5]), np.full(11, 0.02), Barriers(1, 1, 5), -np.ones(11))
    assert (later.end[0], later.label[0]) == (6, 1)  # a short from 103 wins at the drop to 90


def test_events_whose_outcome_is_not_known_yet_are_not_labelled():
    close = _walk(1, 50)
    out = triple_barrier(close, np.arange(50), np.full(50, 1.0), Barriers(1, 1, 10))  # no touch
    assert out.start.max() == 39 and np.all(out.end == out.start + 10)


def test_uniqueness_is_one_without_overlap_and_shared_evenly_with_it():
    assert np.allclose(average_uniqueness(np.array([0, 3]), np.array([2, 5]), 6), [1, 1])
    assert np.allclose(average_uniqueness(np.array([0, 0]), np.array([3, 3]), 4), [0.5, 0.5])
    assert concurrency(np.array([0, 1]), np.array([2, 3]), 5).tolist() == [1, 2, 2, 1, 0]
    # [0,2] overlaps [1,3] on two of its three bars: (1 + 1/2 + 1/2) / 3
    assert average_uniqueness(np.array([0, 1]), np.array([2, 3]), 4)[0] == pytest.approx(2 / 3)


def test_fixed_horizon_labels_by_threshold():
    close = np.array([100, 101, 103, 102, 99, 99.5])
    out = fixed_horizon(close, horizon=2, threshold=0.015)
    assert out.label.tolist() == [1, 0, -1, -1]
    assert out.end.tolist() == [2, 3, 4, 5]


def test_trend_scanning_finds_the_sign_of_a_clear_trend():
    up = np.exp(np.linspace(0, 0.3, 60)) * (1 + 0.001 * np.sin(np.arange(60)))
    out = trend_scanning(up, range(5, 11))
    assert np.all(out.label == 1)
    assert np.all((out.end - out.start >= 4) & (out.end - out.start <= 9))
    assert np.all(trend_scanning(up[::-1], range(5, 11)).label == -1)


def test_meta_labels_mark_profitable_bets_of_the_primary_signal():
    close = _walk(4, 300)
    side = np.where(np.arange(300) % 7 < 3, 1.0, -1.0)
    out = triple_barrier(close, np.arange(300), volatility(close), Barriers(1, 1, 10), side)
    meta = meta_labels(out)
    assert set(np.unique(meta)) <= {0, 1}
    assert np.array_equal(meta == 1, out.ret > 0)


@pytest.mark.parametrize("method", ["triple_barrier", "fixed_horizon", "trend_scanning", "meta"])
def test_label_frames_carry_t0_t1_and_weights_for_every_symbol(method):
    bars = generate_bars(["AAA", "BBB"], 200, seed=2)
    labels = label_bars(bars, method, Barriers(1, 1, 10))
    assert set(labels["symbol"]) == {"AAA", "BBB"}
    assert (labels["t1"] > labels["t0"]).all()
    assert labels["weight"].between(0, 1, inclusive="right").all()
    stamps = set(pd.to_datetime(bars["event_timestamp"], utc=True))
    assert set(pd.to_datetime(labels["t1"], utc=True)) <= stamps


def test_concatenated_symbols_label_exactly_like_each_symbol_alone():
    closes = [_walk(s, n) for s, n in ((1, 120), (2, 80), (3, 150))]
    targets = [volatility(c) for c in closes]
    barriers = Barriers(1.0, 2.0, 15)
    together = triple_barrier(np.concatenate(closes), np.arange(350), np.concatenate(targets),
                              barriers, last=series_ends([120, 80, 150]))  # fmt: skip
    offsets = np.cumsum([0, 120, 80])
    for close, target, offset in zip(closes, targets, offsets, strict=True):
        alone = triple_barrier(close, np.arange(len(close)), target, barriers)
        mine = (together.start >= offset) & (together.start < offset + len(close))
        assert np.array_equal(together.start[mine] - offset, alone.start)
        assert np.array_equal(together.end[mine] - offset, alone.end)
        assert np.array_equal(together.label[mine], alone.label)
