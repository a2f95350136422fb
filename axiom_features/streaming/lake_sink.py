"""Stream bars appended to the bar lake and the offline tables in one transaction.

Bars go through :class:`~axiom_features.lakes.bars.BarLake` (idempotent upsert: a bar
already stored is not added twice); each view's offline table of a symbol gets the feature
rows whose time it does not hold yet. Every file of the micro-batch is staged and published
together (:mod:`axiom_features.lakes.transaction`), so after a crash and
:func:`~axiom_features.lakes.transaction.recover` the lake and the offline tables hold all
of a flush or none of it. The transaction also stores the stream position of the newest
bar it holds (``data/lake/stream_positions/<source>.parquet``): a restarted consumer
re-reads the stream after it, the bars acknowledged but not yet stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from axiom_features.lakes.bars import BarLake
from axiom_features.lakes.symbols import symbol_file
from axiom_features.lakes.transaction import Transaction, transaction
from axiom_features.paths import RepoPaths
from axiom_features.pipeline.transform_job import offline_schema
from axiom_features.streaming.names import position_path
from transforms.specs import ViewSpec

POSITION_SCHEMA = pa.schema([pa.field("stream", pa.string()), pa.field("position", pa.string())])


def stored_position(repo: RepoPaths, source: str) -> str | None:
    """The stream id of the newest bar the lake holds from ``source`` (None: none yet)."""
    path = position_path(repo, source)
    if not path.exists():
        return None
    return str(pq.read_table(path).column("position")[0].as_py())


def append_stream_bars(
    repo: RepoPaths,
    run_id: str,
    bars: pd.DataFrame | None,
    features: Sequence[pd.DataFrame],
    views: Sequence[ViewSpec],
    created: datetime,
    source: str,
    position: str,
) -> None:
    """Store ``bars`` (bar contract plus provenance), the feature rows of ``features`` (frames
    in the order they were computed) and ``position``, atomically."""
    with transaction(repo, f"{run_id}-{position.replace('-', '_')}") as staged:
        if bars is not None and len(bars):
            BarLake(repo).upsert(bars, transaction=staged)
        if features:
            _append_features(repo, staged, features, views, created)
        marker = pa.table({"stream": [source], "position": [position]}, schema=POSITION_SCHEMA)
        target = position_path(repo, source)
        target.parent.mkdir(parents=True, exist_ok=True)
        staged.write_table(marker, target)


def _append_features(
    repo: RepoPaths,
    staged: Transaction,
    features: Sequence[pd.DataFrame],
    views: Sequence[ViewSpec],
    created: datetime,
) -> None:
    """Every view's rows from the frames holding its features, in order: the last copy of a
    row wins (a revision comes after the row it revises)."""
    for view in views:
        names = [f.name for f in view.features]
        parts = [f[["symbol", "event_timestamp", *names]] for f in features if names[0] in f]
        if not parts:
            continue
        rows = pd.concat(parts, ignore_index=True)
        latest = rows.drop_duplicates(["symbol", "event_timestamp"], keep="last")
        for symbol, group in latest.groupby("symbol", sort=True):
            _append_offline(repo, staged, view, str(symbol), group, created)


def _append_offline(
    repo: RepoPaths,
    staged: Transaction,
    view: ViewSpec,
    symbol: str,
    rows: pd.DataFrame,
    created: datetime,
) -> None:
    """Upsert ``rows`` into the view's offline table of ``symbol`` (same time: replaced)."""
    schema = offline_schema(view)
    target = symbol_file(repo.offline_view(view.name), symbol)
    current = staged.current(target)
    stored = pq.read_table(current) if current is not None else schema.empty_table()
    if stored.schema.metadata != schema.metadata:
        stored = stored.select(schema.names).cast(schema)
    times = pd.DatetimeIndex(rows["event_timestamp"]).as_unit("us").asi8
    held = stored.column("event_timestamp").cast(pa.int64()).to_numpy()
    kept = stored.filter(pa.array(~np.isin(held, times)))
    n = len(rows)
    table = pa.Table.from_arrays(
        [
            pa.array([symbol] * n, pa.string()),
            pa.array(times, pa.int64()).cast(schema.field("event_timestamp").type),
            pa.repeat(pa.scalar(created, schema.field("created_timestamp").type), n),
            *[pa.array(rows[f.name].to_numpy(np.float64)) for f in view.features],
        ],
        schema=schema,
    )
    merged = pa.concat_tables([kept.cast(schema), table]).sort_by("event_timestamp")
    target.parent.mkdir(parents=True, exist_ok=True)
    staged.write_table(merged, target)
