"""A point-in-time join's result as Arrow or pandas, built from the gathered values."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import pandas as pd
import pyarrow as pa

from axiom_features.offline import point_in_time as pit


@dataclass
class JoinedFrame:
    """The entity frame (its own columns, time in UTC) beside the requested features."""

    entity: pd.DataFrame
    features: pit.Gathered

    def to_arrow(self) -> pa.Table:
        table = pa.Table.from_pandas(self.entity, preserve_index=False)
        for name in self.features.names:
            table = table.append_column(name, self.features.arrow_column(name))
        return table

    def to_pandas(self) -> pd.DataFrame:
        """Features as one float64 block shared with the gathered values (no copy) when every
        feature is float64; unmatched rows are NaN."""
        gathered = self.features
        if not gathered.others:
            features = pd.DataFrame(gathered.floats.T, columns=gathered.names, copy=False)
        else:
            features = pd.DataFrame(
                {
                    name: (
                        gathered.others[name].to_pandas()
                        if name in gathered.others
                        else gathered.floats[gathered.float_row[name]]
                    )
                    for name in gathered.names
                }
            )
        return pd.concat([self.entity, features], axis=1, copy=False)


def normalized_entity(entity_df: pd.DataFrame, timestamp_column: str) -> pd.DataFrame:
    """The caller's frame with a fresh index and its time column in UTC (naive = UTC)."""
    frame = entity_df.reset_index(drop=True)
    column = frame[timestamp_column]
    if not (isinstance(column.dtype, pd.DatetimeTZDtype) and str(column.dt.tz) == "UTC"):
        frame = frame.copy(deep=False)
        frame[timestamp_column] = pd.to_datetime(column, utc=True)
    return frame


def joined_frame(
    con: duckdb.DuckDBPyConnection,
    entity_df: pd.DataFrame,
    timestamp_column: str,
    requests: Sequence[pit.ViewRequest],
    *,
    known_by_entity_time: bool = False,
    threads: int | None = None,
) -> JoinedFrame:
    """Match every view on ``con`` (DuckDB), then gather the values in entity order."""
    entity = normalized_entity(entity_df, timestamp_column)
    keys = [k for r in requests for k in r.entity_keys]
    rows = pit.entity_rows(entity, timestamp_column, keys)
    con.register(pit.ENTITY_TABLE, rows.table)
    try:
        matches = [
            pit.match(con, r, rows, known_by_entity_time=known_by_entity_time) for r in requests
        ]
    finally:
        con.unregister(pit.ENTITY_TABLE)
    return JoinedFrame(entity, pit.gather(requests, matches, rows.num_rows, threads=threads))
