"""Feature rows into the online store through the fast engine's writer (Redis in bulk, any
other online store through Feast's own writer), one call per view and micro-batch."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import pyarrow as pa
from feast import FeatureStore, FeatureView

from axiom_features.materialize.fast_engine import FastComputeEngine
from transforms.specs import ViewSpec


class OnlineSink:
    """Writes the stream's feature rows for ``views`` into ``store``'s online store."""

    def __init__(self, store: FeatureStore, views: Sequence[ViewSpec]) -> None:
        engine = store._get_provider().batch_engine
        if not isinstance(engine, FastComputeEngine):
            raise ValueError(
                "the stream writes through the fast engine; set batch_engine to "
                "axiom_features.materialize.fast_engine.FastComputeEngine in feature_store.yaml"
            )
        self.engine = engine
        self.views: list[FeatureView] = [store.get_feature_view(spec.name) for spec in views]

    def rewrite(self, rows: pd.DataFrame) -> int:
        """Replace stored rows of the same time in the views whose features ``rows`` holds."""
        return self.write(rows, overwrite=True)

    def write(self, rows: pd.DataFrame, overwrite: bool = False) -> int:
        """Write ``rows`` (``symbol``, ``event_timestamp``, feature columns) to every view
        whose features it holds."""
        if rows.empty:
            return 0
        stamps = pa.array(
            pd.DatetimeIndex(rows["event_timestamp"]).as_unit("us"), pa.timestamp("us", "UTC")
        )
        keys = {
            "symbol": pa.array(rows["symbol"].astype(str).to_numpy(), pa.string()),
            "event_timestamp": stamps,
            "created_timestamp": stamps,
        }
        written = 0
        for view in self.views:
            if view.features[0].name not in rows.columns:
                continue
            columns = {
                f.name: pa.array(rows[f.name].to_numpy(), pa.float64()) for f in view.features
            }
            table = pa.table({**keys, **columns})
            written += self.engine.write_online(view, table, overwrite=overwrite)
        return written
