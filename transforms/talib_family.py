"""The TA-Lib family: every TA-Lib indicator and pattern, computed from the bars alone."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from transforms.compute import compute_views
from transforms.family import SymbolInputs
from transforms.specs import ViewSpec
from transforms.talib_features import talib_views


class TalibFamily:
    """Views ``ta_*``; reads only the bars."""

    name = "talib"
    needs: frozenset[str] = frozenset()

    def views(self) -> list[ViewSpec]:
        return list(talib_views())

    def compute(self, views: Sequence[ViewSpec], inputs: SymbolInputs) -> pd.DataFrame:
        return compute_views(views, inputs.bars)


TALIB = TalibFamily()
