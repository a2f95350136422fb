"""Quality metrics of one batch along five dimensions, and the 0–100 quality score.

- **completeness**: share of required values (symbol, event_timestamp, open, high, low,
  close, volume) present and readable, over all rows read.
- **accuracy**: share of accepted bars whose close agrees with a reference provider's close
  for the same symbol and time within ``tolerance`` (default 0.5%); ``None`` when no
  reference bar matches.
- **consistency**: share of rows that pass every cross-field and cross-row rule (OHLC order,
  positive prices, volume ≥ 0, session close, not in the future, split continuity, calendar)
  and, for rows already in the lake, agree with the stored values (cross-table).
- **timeliness**: age of the newest bar against the freshness SLA: intraday data 1 hour,
  daily data one trading day. 1.0 within the SLA, else SLA / age (daily: 1 / sessions behind).
- **uniqueness**: share of rows that are not a duplicate or a conflicting copy of a key.

Score = 100 · Σ wᵢ·dᵢ / Σ wᵢ over the dimensions measured, with weights
completeness 0.25, consistency 0.25, accuracy 0.20, uniqueness 0.15, timeliness 0.15.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from axiom_features.calendar import calendar_covering

REQUIRED = ("symbol", "event_timestamp", "open", "high", "low", "close", "volume")
WEIGHTS: dict[str, float] = {
    "completeness": 0.25,
    "consistency": 0.25,
    "accuracy": 0.20,
    "uniqueness": 0.15,
    "timeliness": 0.15,
}
DIMENSIONS: tuple[str, ...] = tuple(WEIGHTS)
INTRADAY_SLA = pd.Timedelta(hours=1)
CONSISTENCY_RULES = frozenset(
    {
        "high_is_max",
        "low_is_min",
        "positive:open",
        "positive:high",
        "positive:low",
        "positive:close",
        "volume_non_negative",
        "session_close",
        "future_bar",
        "split_continuity",
        "trading_calendar",
    }
)
UNIQUENESS_RULES = frozenset({"unique_key", "unique_key_conflict"})


@dataclass
class BatchMetrics:
    """One batch's measurements; a row of the metrics time series."""

    run_id: str
    measured_at: str
    source: str
    rows_in: int
    accepted: int
    quarantined: int
    warned: int
    completeness: float
    consistency: float
    uniqueness: float
    timeliness: float
    accuracy: float | None
    score: float
    frequency: str
    newest_bar: str | None
    age_seconds: float | None

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def quality_score(values: dict[str, float | None]) -> float:
    """The weighted mean of the measured dimensions, scaled to 0–100."""
    measured = {d: v for d, v in values.items() if d in WEIGHTS and v is not None}
    if not measured:
        return 0.0
    total = sum(WEIGHTS[d] for d in measured)
    return round(100.0 * sum(WEIGHTS[d] * v for d, v in measured.items()) / total, 3)


def rows_failing(labels: pd.Series, names: frozenset[str]) -> int:
    """How many rows' ';'-joined rule names include one of ``names``."""
    if labels.empty:
        return 0
    split = labels.astype(str).str.split(";")
    return int(split.map(lambda rules: not names.isdisjoint(rules)).sum())


def frequency(bars: pd.DataFrame) -> str:
    """``daily`` when bars of a symbol are typically 20 hours or more apart, else ``intraday``."""
    stamps = bars[["symbol", "event_timestamp"]].dropna().sort_values(["symbol", "event_timestamp"])
    gaps = stamps.groupby("symbol")["event_timestamp"].diff().dropna()
    if gaps.empty:
        return "unknown"
    return "daily" if gaps.median() >= pd.Timedelta(hours=20) else "intraday"


def timeliness(newest: pd.Timestamp | None, now: pd.Timestamp, freq: str, calendar: str) -> float:
    if newest is None or pd.isna(newest):
        return 0.0
    if freq == "intraday":
        age = max(now - newest, pd.Timedelta(0))
        return 1.0 if age <= INTRADAY_SLA else INTRADAY_SLA / age
    closes = calendar_covering(pd.Series([newest, now]), calendar).schedule["close"]
    behind = int(((closes > newest) & (closes <= now)).sum())
    return 1.0 if behind <= 1 else 1.0 / behind


def accuracy(accepted: pd.DataFrame, reference: pd.DataFrame | None, tolerance: float):
    """Share of accepted closes within ``tolerance`` of the reference close (None: no match)."""
    if reference is None or reference.empty or accepted.empty:
        return None
    ref = reference[["symbol", "event_timestamp", "close"]].drop_duplicates(
        ["symbol", "event_timestamp"]
    )
    joined = accepted[["symbol", "event_timestamp", "close"]].merge(
        ref, on=["symbol", "event_timestamp"], suffixes=("", "_ref")
    )
    if joined.empty:
        return None
    with np.errstate(divide="ignore", invalid="ignore"):
        error = np.abs(joined["close"] / joined["close_ref"] - 1.0)
    return float((error <= tolerance).mean())


def compute_metrics(
    bars: pd.DataFrame,
    *,
    accepted: pd.DataFrame,
    held_labels: pd.Series,
    warn_labels: pd.Series,
    run_id: str,
    source: str,
    now: datetime,
    calendar: str = "XNYS",
    conflicts: int = 0,
    reference: pd.DataFrame | None = None,
    tolerance: float = 0.005,
) -> BatchMetrics:
    """Measure a gated batch. ``held_labels``/``warn_labels``: failed rules per held/warned row."""
    n = len(bars)
    now_ts = pd.Timestamp(now).tz_convert("UTC")
    present = bars[list(REQUIRED)].notna().to_numpy().mean() if n else 1.0
    labels = pd.concat([held_labels, warn_labels])
    inconsistent = rows_failing(labels, CONSISTENCY_RULES) + conflicts
    duplicated = rows_failing(held_labels, UNIQUENESS_RULES)
    freq = frequency(bars)
    newest = accepted["event_timestamp"].max() if len(accepted) else None
    values: dict[str, float | None] = {
        "completeness": float(present),
        "consistency": 1.0 - min(inconsistent, n) / n if n else 1.0,
        "uniqueness": 1.0 - duplicated / n if n else 1.0,
        "timeliness": timeliness(newest, now_ts, freq, calendar),
        "accuracy": accuracy(accepted, reference, tolerance),
    }
    return BatchMetrics(
        run_id=run_id,
        measured_at=now_ts.isoformat(),
        source=source,
        rows_in=n,
        accepted=len(accepted),
        quarantined=len(held_labels),
        warned=len(warn_labels),
        completeness=round(float(values["completeness"]), 6),
        consistency=round(float(values["consistency"]), 6),
        uniqueness=round(float(values["uniqueness"]), 6),
        timeliness=round(float(values["timeliness"]), 6),
        accuracy=None if values["accuracy"] is None else round(float(values["accuracy"]), 6),
        score=quality_score(values),
        frequency=freq,
        newest_bar=None if newest is None or pd.isna(newest) else pd.Timestamp(newest).isoformat(),
        age_seconds=None
        if newest is None or pd.isna(newest)
        else (now_ts - pd.Timestamp(newest)).total_seconds(),
    )


def combine_metrics(parts: list[BatchMetrics], *, now: datetime, calendar: str) -> BatchMetrics:
    """One batch's metrics from those of its chunks (rates weighted by rows)."""
    if not parts:
        raise ValueError("no chunk metrics to combine")
    rows = sum(p.rows_in for p in parts)

    def weighted(name: str) -> float:
        return round(sum(getattr(p, name) * p.rows_in for p in parts) / max(rows, 1), 6)

    newest_values = [pd.Timestamp(p.newest_bar) for p in parts if p.newest_bar]
    newest = max(newest_values) if newest_values else None
    now_ts = pd.Timestamp(now).tz_convert("UTC")
    freq = next((p.frequency for p in parts if p.frequency != "unknown"), "unknown")
    values: dict[str, float | None] = {
        "completeness": weighted("completeness"),
        "consistency": weighted("consistency"),
        "uniqueness": weighted("uniqueness"),
        "timeliness": round(timeliness(newest, now_ts, freq, calendar), 6),
        "accuracy": None,
    }
    return BatchMetrics(
        run_id=parts[0].run_id,
        measured_at=now_ts.isoformat(),
        source=parts[0].source,
        rows_in=rows,
        accepted=sum(p.accepted for p in parts),
        quarantined=sum(p.quarantined for p in parts),
        warned=sum(p.warned for p in parts),
        completeness=values["completeness"],
        consistency=values["consistency"],
        uniqueness=values["uniqueness"],
        timeliness=values["timeliness"],
        accuracy=None,
        score=quality_score(values),
        frequency=freq,
        newest_bar=None if newest is None else newest.isoformat(),
        age_seconds=None if newest is None else (now_ts - newest).total_seconds(),
    )
