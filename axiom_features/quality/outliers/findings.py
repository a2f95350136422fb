"""The shape of a detector's output: one row per flagged bar, with what was measured."""

from __future__ import annotations

import numpy as np
import pandas as pd

FINDING_COLUMNS: tuple[str, ...] = (
    "row",
    "symbol",
    "event_timestamp",
    "detector",
    "value",
    "threshold",
    "detail",
)
"""``row`` is the bar's position in the frame given to the detector."""


def empty_findings() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "row": pd.Series(dtype="int64"),
            "symbol": pd.Series(dtype=object),
            "event_timestamp": pd.Series(dtype="datetime64[us, UTC]"),
            "detector": pd.Series(dtype=object),
            "value": pd.Series(dtype="float64"),
            "threshold": pd.Series(dtype="float64"),
            "detail": pd.Series(dtype=object),
        }
    )


def findings(
    bars: pd.DataFrame,
    rows: np.ndarray,
    detector: str,
    value: np.ndarray,
    threshold: float,
    detail: str | list[str],
) -> pd.DataFrame:
    """Findings for bar positions ``rows`` of ``bars``."""
    if not len(rows):
        return empty_findings()
    return pd.DataFrame(
        {
            "row": rows.astype(np.int64),
            "symbol": bars["symbol"].to_numpy()[rows],
            "event_timestamp": bars["event_timestamp"].iloc[rows].to_numpy(),
            "detector": detector,
            "value": np.asarray(value, dtype=np.float64),
            "threshold": float(threshold),
            "detail": detail,
        }
    )
