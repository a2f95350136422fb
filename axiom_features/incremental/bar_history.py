"""One symbol's bars as growable float64 arrays (amortised O(1) append, views without copies)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

OHLCV: tuple[str, ...] = ("open", "high", "low", "close", "volume")


class BarHistory:
    """Times (int64 ns, UTC) and OHLCV of one symbol, in time order."""

    def __init__(self, times: np.ndarray, columns: Mapping[str, np.ndarray]) -> None:
        n = len(times)
        capacity = max(16, 2 * n)
        self._times = np.empty(capacity, dtype=np.int64)
        self._times[:n] = times
        self._columns = {name: np.empty(capacity) for name in OHLCV}
        for name in OHLCV:
            self._columns[name][:n] = columns[name]
        self.size = n

    def append(self, time: int, bar: Mapping[str, float]) -> None:
        if self.size == len(self._times):
            self._grow()
        self._times[self.size] = time
        for name in OHLCV:
            self._columns[name][self.size] = bar[name]
        self.size += 1

    def _grow(self) -> None:
        capacity = 2 * len(self._times)
        self._times = np.resize(self._times, capacity)
        self._columns = {k: np.resize(v, capacity) for k, v in self._columns.items()}

    @property
    def last_time(self) -> int | None:
        return int(self._times[self.size - 1]) if self.size else None

    def arrays(self, start: int = 0) -> dict[str, np.ndarray]:
        """OHLCV from bar ``start`` on (views into the buffers, valid until the next append)."""
        return {name: self._columns[name][start : self.size] for name in OHLCV}

    def times(self, start: int = 0) -> np.ndarray:
        return self._times[start : self.size]

    def frame(self, start: int = 0) -> pd.DataFrame:
        """The bars from ``start`` on, as the families read them (``event_timestamp`` UTC)."""
        stamps = pd.to_datetime(self.times(start), utc=True)
        return pd.DataFrame({"event_timestamp": stamps, **self.arrays(start)})
