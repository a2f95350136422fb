"""Sequence rules of a live bar: duplicate, out of order, gap; and bars already consumed.

Against the bars a symbol already has (the incremental state, warmed from the lake) and the
earlier bars of the same micro-batch:

- a bar at a time already held with the same values was consumed before (a redelivery after
  a crash, a replay, a publisher's retry): it is acknowledged and not processed again;
- ``duplicate``: a time already held, with other values;
- ``out_of_order``: older than the symbol's newest bar, at a time not held;
- ``gap`` (a warning, the bar is processed): more than ``max_gap`` after the newest bar.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import pandas as pd

from axiom_features.incremental.bar_history import OHLCV
from axiom_features.incremental.state import IncrementalState


class Verdict(StrEnum):
    FRESH = "fresh"
    CONSUMED = "consumed"
    DUPLICATE = "duplicate"
    OUT_OF_ORDER = "out_of_order"


@dataclass
class SequenceCheck:
    """Verdicts of one micro-batch (aligned with its bars) and the gaps found."""

    verdicts: list[Verdict]
    gaps: list[int] = field(default_factory=list)
    """Positions of fresh bars that follow a gap."""


def check_sequence(
    state: IncrementalState, bars: pd.DataFrame, max_gap: pd.Timedelta
) -> SequenceCheck:
    """Classify each bar of ``bars`` (in message order) against ``state``."""
    verdicts: list[Verdict] = []
    gaps: list[int] = []
    newest: dict[str, int] = {}
    taken: dict[tuple[str, int], tuple[float, ...]] = {}
    stamps = pd.DatetimeIndex(bars["event_timestamp"]).as_unit("ns").asi8
    values = np.column_stack([bars[name].to_numpy(np.float64) for name in OHLCV])
    gap_ns = int(max_gap.value)
    for i, symbol in enumerate(bars["symbol"].astype(str)):
        time, row = int(stamps[i]), tuple(values[i])
        held = taken.get((symbol, time)) or _stored(state, symbol, time)
        last = newest.get(symbol)
        if last is None:
            entry = state.symbols.get(symbol)
            last = entry.history.last_time if entry else None
        if held is not None:
            verdicts.append(Verdict.CONSUMED if held == row else Verdict.DUPLICATE)
        elif last is not None and time < last:
            verdicts.append(Verdict.OUT_OF_ORDER)
        else:
            if last is not None and time - last > gap_ns:
                gaps.append(i)
            verdicts.append(Verdict.FRESH)
            newest[symbol] = time
            taken[(symbol, time)] = row
    return SequenceCheck(verdicts, gaps)


def _stored(state: IncrementalState, symbol: str, time: int) -> tuple[float, ...] | None:
    entry = state.symbols.get(symbol)
    if entry is None or entry.history.size == 0:
        return None
    times = entry.history.times()
    at = int(np.searchsorted(times, time))
    if at == len(times) or times[at] != time:
        return None
    arrays = entry.history.arrays()
    return tuple(float(arrays[name][at]) for name in OHLCV)
