"""Triple-barrier labels, vectorised: volatility-scaled profit-taking and stop-loss, a vertical
barrier, an optional side, and meta-labels for a primary signal.

Positions are bar indices into one symbol's closes. An event starting at bar ``i`` watches
bars ``i+1 … i+horizon``; ``t1`` is the first bar touching a barrier, else the vertical one.
An event whose barriers are untouched when the data ends is not labelled: its outcome is not
known yet.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Barriers:
    """Barrier settings: multiples of each event's volatility, and the vertical horizon."""

    profit_taking: float = 1.0
    """Upper barrier at ``profit_taking × volatility`` (0 disables it)."""
    stop_loss: float = 1.0
    """Lower barrier at ``-stop_loss × volatility`` (0 disables it)."""
    horizon: int = 10
    """Vertical barrier: bars after the event."""
    min_return: float = 0.0
    """Events whose volatility target is below this are skipped."""


DEFAULT_BARRIERS = Barriers()


@dataclass(frozen=True)
class BarrierLabels:
    """Per labelled event: start and end positions, label (+1 / -1 / sign at the vertical),
    the barrier touched (1 upper, -1 lower, 0 vertical) and the side-adjusted return."""

    start: np.ndarray
    end: np.ndarray
    label: np.ndarray
    barrier: np.ndarray
    ret: np.ndarray
    side: np.ndarray
    target: np.ndarray


def volatility(close: np.ndarray, span: int = 20) -> np.ndarray:
    """EWM standard deviation of simple returns, known at each bar (NaN at the first)."""
    returns = pd.Series(close, dtype="float64").pct_change()
    return returns.ewm(span=span, min_periods=min(span, 5)).std().to_numpy()


def _prepared(close, events, target, side, barriers, last=None):  # noqa: ANN001, ANN202
    close = np.asarray(close, dtype=np.float64)
    events = np.asarray(events, dtype=np.int64)
    last = np.full(len(events), len(close) - 1) if last is None else np.asarray(last)[events]
    target = (
        np.asarray(target, dtype=np.float64)[events]
        if len(target) == len(close)
        else (np.asarray(target, dtype=np.float64))
    )
    side = np.ones(len(events)) if side is None else np.asarray(side, dtype=np.float64)
    if len(side) == len(close) and len(close) != len(events):
        side = side[events]
    keep = np.isfinite(target) & (target > barriers.min_return) & (side != 0)
    return close, events[keep], target[keep], side[keep], last[keep]


def triple_barrier(
    close: np.ndarray,
    events: np.ndarray,
    target: np.ndarray,
    barriers: Barriers = DEFAULT_BARRIERS,
    side: np.ndarray | None = None,
    last: np.ndarray | None = None,
) -> BarrierLabels:
    """Triple-barrier labels for ``events`` (bar positions), vectorised over events.

    ``last`` (per bar) is the last position of the bar's own series, so several symbols'
    closes can be concatenated and labelled in one call (default: one series).

    Blocks of bars (4, 8, 16, … wide) are checked as matrices over the events still open;
    touched events leave the working set. ``target`` (per bar or per event) scales both
    barriers; ``side`` (+1 long, -1 short; per bar or per event) turns returns into the bet's
    returns. Events whose target is missing, below ``min_return``, or whose side is 0 are
    dropped.
    """
    close, events, target, side, last = _prepared(close, events, target, side, barriers, last)
    n, count = len(close), len(events)
    up = barriers.profit_taking * target if barriers.profit_taking > 0 else np.full(count, np.inf)
    down = -barriers.stop_loss * target if barriers.stop_loss > 0 else np.full(count, -np.inf)
    base = close[events]
    has_side = bool(np.any(side != 1.0))
    end = np.full(count, -1, dtype=np.int64)
    barrier = np.zeros(count, dtype=np.int64)
    ret = np.zeros(count)
    padded = np.concatenate((close, np.full(barriers.horizon, close[-1] if n else 0.0)))
    bounded = bool(np.any(events + barriers.horizon > last))  # some series end too soon
    open_ = np.flatnonzero(events + 1 <= last) if bounded else np.arange(count)
    first_step, width = 1, 4
    while open_.size and first_step <= barriers.horizon:
        last_step = min(first_step + width - 1, barriers.horizon)
        at = events[open_, None] + np.arange(first_step, last_step + 1)
        r = padded[at] / base[open_, None] - 1.0
        if has_side:
            r *= side[open_, None]
        hit_up = r >= up[open_, None]
        hit_down = r <= down[open_, None]
        if bounded:
            inside = at <= last[open_, None]
            hit_up &= inside
            hit_down &= inside
        hit = hit_up | hit_down
        if last_step == barriers.horizon:
            hit[:, -1] |= inside[:, -1] if bounded else True  # the vertical barrier
        touched = hit.any(axis=1)
        rows = np.flatnonzero(touched)
        cols = hit.argmax(axis=1)[rows]
        closing = open_[rows]
        end[closing] = at[rows, cols]
        ret[closing] = r[rows, cols]
        barrier[closing] = hit_up[rows, cols].view(np.int8) - hit_down[rows, cols].view(np.int8)
        still = ~touched & inside[:, -1] if bounded else ~touched
        open_ = open_[still]
        first_step, width = last_step + 1, width * 2
    label = np.where(barrier != 0, barrier, np.sign(ret)).astype(np.int64)
    k = end >= 0
    return BarrierLabels(events[k], end[k], label[k], barrier[k], ret[k], side[k], target[k])


def triple_barrier_loop(
    close: np.ndarray,
    events: np.ndarray,
    target: np.ndarray,
    barriers: Barriers = DEFAULT_BARRIERS,
    side: np.ndarray | None = None,
) -> BarrierLabels:
    """The same labels, one event at a time: the straightforward reference."""
    close, events, target, side, _ = _prepared(close, events, target, side, barriers)
    n, h = len(close), barriers.horizon
    out: dict[str, list] = {k: [] for k in ("start", "end", "label", "barrier", "ret", "side", "t")}
    for i, start in enumerate(events):
        up = barriers.profit_taking * target[i]
        down = -barriers.stop_loss * target[i]
        found = None
        for step in range(1, h + 1):
            if start + step >= n:
                break
            r = (close[start + step] / close[start] - 1.0) * side[i]
            if barriers.profit_taking > 0 and r >= up:
                found = (start + step, 1, 1, r)
                break
            if barriers.stop_loss > 0 and r <= down:
                found = (start + step, -1, -1, r)
                break
        if found is None:
            if start + h >= n:
                continue
            r = (close[start + h] / close[start] - 1.0) * side[i]
            found = (start + h, int(np.sign(r)), 0, r)
        for key, value in zip(("end", "label", "barrier", "ret"), found, strict=True):
            out[key].append(value)
        out["start"].append(start)
        out["side"].append(side[i])
        out["t"].append(target[i])
    return BarrierLabels(
        np.array(out["start"], dtype=np.int64),
        np.array(out["end"], dtype=np.int64),
        np.array(out["label"], dtype=np.int64),
        np.array(out["barrier"], dtype=np.int64),
        np.array(out["ret"], dtype=np.float64),
        np.array(out["side"], dtype=np.float64),
        np.array(out["t"], dtype=np.float64),
    )


def meta_labels(labels: BarrierLabels) -> np.ndarray:
    """Meta-labels for a primary signal's bets: 1 where the side-adjusted return at ``t1`` is
    positive (act on the signal), 0 otherwise. Compute ``labels`` with the signal as ``side``."""
    return (labels.ret > 0).astype(np.int64)


def series_ends(lengths: list[int]) -> np.ndarray:
    """Per bar of concatenated series of ``lengths``, the last position of its own series."""
    ends = np.cumsum(lengths) - 1
    return np.repeat(ends, lengths)
