"""A feature family: a group of views computed from the same kind of inputs.

Every view of every family is keyed like the bars: one row per (symbol, bar time). A family
reads one symbol's :class:`SymbolInputs` and returns one row per bar, in the bars' order.

No look-ahead, for every family: the value at bar ``t`` may depend only on bars at or before
``t``, filings public at or before ``t`` (their ``filing_timestamp``), headlines published at
or before ``t``, and market rows at or before ``t``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import pandas as pd

from transforms.specs import ViewSpec

#: Inputs a family may ask for besides the bars.
EXTRA_INPUTS = frozenset({"fundamentals", "news", "market"})


@dataclass(frozen=True)
class SymbolInputs:
    """Everything a family may read for one symbol; every frame sorted by time, times UTC.

    - ``bars``: columns ``event_timestamp``, ``open``, ``high``, ``low``, ``close``,
      ``volume`` (float64), one row per bar.
    - ``fundamentals``: this symbol's filings (fundamentals contract), sorted by
      ``filing_timestamp``; None when the family did not ask for them.
    - ``news``: this symbol's headlines (news contract), sorted by ``published_at``.
    - ``market``: closes of every symbol of the job, wide: index ``event_timestamp``, one
      float64 column per symbol (NaN where a symbol has no bar).
    """

    symbol: str
    bars: pd.DataFrame
    fundamentals: pd.DataFrame | None = None
    news: pd.DataFrame | None = None
    market: pd.DataFrame | None = None


class Family(Protocol):
    """What the catalogue and the transform job need from a family."""

    name: str
    needs: frozenset[str]
    """Which of :data:`EXTRA_INPUTS` its views read."""

    def views(self) -> list[ViewSpec]:
        """The family's views, their features fully described."""
        ...

    def compute(self, views: Sequence[ViewSpec], inputs: SymbolInputs) -> pd.DataFrame:
        """One float64 column per feature of ``views``, one row per row of ``inputs.bars``."""
        ...
