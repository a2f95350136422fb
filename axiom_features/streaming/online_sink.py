"""Feature rows into the online store, in Feast's layout.

Only each symbol's newest row of a micro-batch is written, whatever the store: the older
ones would be replaced at once. On Redis (the fast store) every view of a symbol lives in
one hash, so a micro-batch is one ``HSET`` per symbol holding all its views' fields, in one
pipeline, after one pipelined read of the stored event timestamps (a view's fields are
written only when the row is newer than what the hash holds for that view, as Feast's
writer does, unless ``overwrite``). Any other online store goes through the fast engine's
writer, one call per view.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
from feast import FeatureStore, FeatureView
from feast.infra.online_stores.redis import RedisOnlineStore, _versioned_fv_name

from axiom_features.materialize.fast_engine import FastComputeEngine
from axiom_features.online.layout import (
    EntityKeyEncoder,
    encode_doubles,
    encode_timestamps,
    feature_field,
    timestamp_field,
    timestamp_nanos,
)
from transforms.specs import ViewSpec


@dataclass(frozen=True)
class _RedisView:
    """One view's fields in a symbol's hash."""

    features: list[str]
    fields: list[bytes]
    timestamp: bytes


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
        config = engine.repo_config
        self._redis = None
        if isinstance(engine.online_store, RedisOnlineStore):
            self._redis = engine.online_store._get_client(config.online_store)
            self._ttl = config.online_store.key_ttl_seconds
            entity = self.views[0].entity_columns if self.views else []
            self._keys = EntityKeyEncoder(
                [c.name for c in entity], [c.dtype.to_value_type() for c in entity], config.project
            )
            self._layouts = [
                _RedisView(
                    [f.name for f in view.features],
                    [
                        feature_field(_versioned_fv_name(view, config), f.name)
                        for f in view.features
                    ],
                    timestamp_field(_versioned_fv_name(view, config)),
                )
                for view in self.views
            ]

    def rewrite(self, rows: pd.DataFrame) -> int:
        """Replace stored rows of the same time in the views whose features ``rows`` holds."""
        return self.write(rows, overwrite=True)

    def write(self, rows: pd.DataFrame, overwrite: bool = False) -> int:
        """Write ``rows`` (``symbol``, ``event_timestamp``, feature columns) to every view
        whose features it holds; returns the view rows written."""
        if rows.empty:
            return 0
        rows = rows.iloc[newest_positions(rows)]
        if self._redis is not None:
            return self._write_redis(rows, overwrite)
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

    def _write_redis(self, rows: pd.DataFrame, overwrite: bool) -> int:
        """``rows``: one per symbol."""
        micros = pd.DatetimeIndex(rows["event_timestamp"]).as_unit("us").asi8
        symbols = rows["symbol"].astype(str).to_numpy()
        keys = self._keys.keys([symbols.tolist()])
        stamps = encode_timestamps(micros)
        present = [v for v in self._layouts if v.features[0] in rows.columns]
        values = [
            [encode_doubles(rows[f].to_numpy(np.float64)) for f in view.features]
            for view in present
        ]
        held = self._held(keys, present) if not overwrite else None
        written = 0
        with self._redis.pipeline(transaction=False) as pipe:
            for i, key in enumerate(keys):
                mapping: dict[bytes, bytes] = {}
                for j, view in enumerate(present):
                    if held is not None and held[i][j] >= micros[i] * 1000:
                        continue
                    mapping[view.timestamp] = stamps[i]
                    mapping.update(zip(view.fields, [c[i] for c in values[j]], strict=True))
                    written += 1
                if mapping:
                    pipe.hset(key, mapping=mapping)
                    if self._ttl:
                        pipe.expire(key, self._ttl)
            pipe.execute()
        return written

    def _held(self, keys: list[bytes], views: list[_RedisView]) -> list[list[int]]:
        """Per key and view: the stored event time (ns; 0 when none)."""
        with self._redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.hmget(key, [v.timestamp for v in views])
            replies = pipe.execute()
        return [[timestamp_nanos(x) for x in reply] for reply in replies]


def newest_positions(rows: pd.DataFrame) -> np.ndarray:
    """Positions of each symbol's newest row in ``rows``, in their order: what a micro-batch
    leaves online (its older rows would be replaced at once)."""
    micros = pd.DatetimeIndex(rows["event_timestamp"]).as_unit("us").asi8
    symbols = rows["symbol"].astype(str).to_numpy()
    order = np.argsort(micros, kind="stable")
    _, last = np.unique(symbols[order][::-1], return_index=True)
    return np.sort(order[len(order) - 1 - last])
