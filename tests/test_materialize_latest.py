"""The latest row per entity of a Parquet table, against a brute-force reference."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from axiom_features.materialize import latest as latest_module
from axiom_features.materialize.latest import pull_latest

T0 = datetime(2026, 1, 1, 20, tzinfo=UTC)


def _write_random_tables(folder: Path, files: int, seed: int) -> pd.DataFrame:
    """``files`` Parquet files of random rows over 7 symbols, with repeated event times,
    created-time ties broken later, and null created times."""
    rng = np.random.default_rng(seed)
    frames = []
    folder.mkdir(parents=True)
    for i in range(files):
        rows = int(rng.integers(1, 40))
        frame = pd.DataFrame(
            {
                "symbol": rng.choice(list("ABCDEFG"), rows),
                "event_timestamp": [T0 + timedelta(days=int(d)) for d in rng.integers(0, 15, rows)],
                "created_timestamp": [
                    None if c < 0 else T0 + timedelta(days=30, seconds=int(c))
                    for c in rng.integers(-2, 4, rows)
                ],
                "x": rng.standard_normal(rows),
            }
        )
        frame["file"] = str(folder / f"part{i:03d}.parquet")
        frame["row"] = np.arange(rows)
        table = pa.Table.from_pandas(frame.drop(columns=["file", "row"]), preserve_index=False)
        table = table.cast(
            pa.schema(
                [
                    ("symbol", pa.string()),
                    ("event_timestamp", pa.timestamp("us", tz="UTC")),
                    ("created_timestamp", pa.timestamp("us", tz="UTC")),
                    ("x", pa.float64()),
                ]
            )
        )
        pq.write_table(table, frame["file"].iloc[0])
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _reference(rows: pd.DataFrame, start: datetime, end: datetime) -> dict[str, float]:
    window = rows[(rows.event_timestamp >= start) & (rows.event_timestamp <= end)].copy()
    window["created"] = window.created_timestamp.fillna(pd.Timestamp("1900-01-01", tz="UTC"))
    window = window.sort_values(["event_timestamp", "created", "file", "row"])
    return window.groupby("symbol").tail(1).set_index("symbol")["x"].to_dict()


@pytest.mark.parametrize("max_groups", [256, 2], ids=["scan_per_row_number", "one_scan_and_join"])
@pytest.mark.parametrize("seed", [1, 2])
def test_latest_rows_equal_a_brute_force_reference(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int, max_groups: int
) -> None:
    monkeypatch.setattr(latest_module, "MAX_ROW_GROUPS", max_groups)
    rows = _write_random_tables(tmp_path / "view", files=12, seed=seed)
    for start, end in [
        (T0, T0 + timedelta(days=30)),
        (T0 + timedelta(days=3), T0 + timedelta(days=6)),
        (T0 - timedelta(days=9), T0 - timedelta(days=1)),  # nothing in the window
    ]:
        got = pull_latest(
            tmp_path / "view",
            join_keys=["symbol"],
            feature_columns=["x"],
            timestamp_field="event_timestamp",
            created_timestamp_column="created_timestamp",
            start=start,
            end=end,
        )
        assert got.schema.field("event_timestamp").type == pa.timestamp("us", tz="UTC")
        assert dict(zip(got["symbol"].to_pylist(), got["x"].to_pylist(), strict=True)) == (
            _reference(rows, start, end)
        )
