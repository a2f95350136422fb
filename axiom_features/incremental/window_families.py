"""Microstructure, risk and regime carried forward by evaluating the batch family on a tail.

Every feature of these families reads a finite trailing window (at most 63 + 251 rows plus
the close before them), so the batch function applied to the last :data:`TAIL_BARS` bars
gives the newest rows. Window sums come from cumulative sums over the array the function
is given, so the tail's values may differ from the full series' in the last bits; the
consistency test holds them to 1e-12 relative.

Market-wide inputs (the equal-weighted benchmark, the mean pairwise correlation) come from
the last :data:`MARKET_ROWS` rows of every symbol's closes. A market row is the batch's
only when all of its bars were seen before the features of that time were computed: the
daily update gets whole days, the stream reads bars in time order.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from transforms.catalogue import catalogue
from transforms.families import family_named
from transforms.family import SymbolInputs
from transforms.specs import ViewSpec

TAIL_BARS = 400
"""Bars of history each evaluation reads: the longest window (regime's 63 + 251 market rows
and one close for the first return) with room to spare."""

MARKET_ROWS = 400
"""Market rows (times) kept: as many as the longest market-wide window needs, with room."""

WINDOW_FAMILIES: tuple[str, ...] = ("microstructure", "risk", "regime")


def window_views(views: Sequence[ViewSpec]) -> dict[str, list[ViewSpec]]:
    """``views`` of the tail-evaluated families, grouped by family."""
    groups: dict[str, list[ViewSpec]] = {}
    for view in views:
        family = catalogue().family_of(view.name)
        if family in WINDOW_FAMILIES:
            groups.setdefault(family, []).append(view)
    return groups


def tail_rows(
    groups: dict[str, list[ViewSpec]],
    symbol: str,
    bars: pd.DataFrame,
    market: pd.DataFrame | None,
    newest: int,
) -> dict[str, np.ndarray]:
    """The features of the last ``newest`` rows of ``bars`` (a tail of the symbol's bars)."""
    columns: dict[str, np.ndarray] = {}
    for family_name, family_views in groups.items():
        family = family_named(family_name)
        inputs = SymbolInputs(symbol, bars, market=market if "market" in family.needs else None)
        frame = family.compute(family_views, inputs)
        for name in frame.columns:
            columns[name] = frame[name].to_numpy(np.float64)[len(frame) - newest :]
    return columns


class MarketTail:
    """The last :data:`MARKET_ROWS` rows of every symbol's closes, wide, symbols sorted."""

    def __init__(self, closes: pd.DataFrame) -> None:
        self.frame = self._trim(closes)

    @staticmethod
    def _trim(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.sort_index().reindex(columns=sorted(frame.columns))
        frame.index.name = "event_timestamp"
        return frame.iloc[-MARKET_ROWS:]

    def add(self, bars: pd.DataFrame) -> None:
        """Take new bars (``symbol``, ``event_timestamp``, ``close``) into the market rows."""
        wide = bars.pivot_table(
            index="event_timestamp", columns="symbol", values="close", aggfunc="last"
        )
        wide.columns = [str(c) for c in wide.columns]
        self.frame = self._trim(wide.combine_first(self.frame).astype(np.float64))
