"""The value the online store serves for one feature and symbol, with its event time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd


def served_value(
    store: Any, view: str, feature: str, symbol: str
) -> tuple[float | None, datetime | None]:
    """``(value, event_timestamp)`` that ``store.get_online_features`` returns (Nones if absent)."""
    response = store.get_online_features(
        features=[f"{view}:{feature}"], entity_rows=[{"symbol": symbol}]
    ).to_dict(include_event_timestamps=True)
    value = response.get(feature, [None])[0]
    stamp = response.get(f"{feature}__ts", [None])[0]
    if stamp is None:
        return value, None
    ts = pd.Timestamp(stamp, unit="s") if isinstance(stamp, int | float) else pd.Timestamp(stamp)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return value, ts.to_pydatetime()
