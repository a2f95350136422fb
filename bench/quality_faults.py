"""Fault injection for the quality benchmark: clean bars in, known faults at known rows out.

Every kind marks the rows it spoiled (``injected``, positions in the written file's rows)
and says how a detection is recognised (``detected``: a rule in a held row's reasons, or a
detector's finding).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

PRICES = ["open", "high", "low", "close"]
NUMERIC = [*PRICES, "volume"]


@dataclass
class Injection:
    bars: pd.DataFrame
    """The rows to write (the vendor file's rows, in order)."""
    injected: np.ndarray
    """Row positions of ``bars`` that carry the fault."""
    text: dict[tuple[int, str], str]
    """Cells to write as this text instead of their value (wrong types)."""


def spaced_rows(bars: pd.DataFrame, n: int, rng: np.random.Generator, room: int = 5) -> np.ndarray:
    """``n`` rows, each at least ``room`` bars from its symbol's ends and from each other."""
    position = bars.groupby("symbol").cumcount().to_numpy()
    size = bars.groupby("symbol")["symbol"].transform("size").to_numpy()
    eligible = np.flatnonzero(
        (position >= room) & (position < size - room) & (position % room == 0)
    )
    return np.sort(rng.choice(eligible, size=n, replace=False))


def bad_ohlc(bars: pd.DataFrame, rows: np.ndarray, rng: np.random.Generator) -> Injection:
    out = bars.copy()
    body_low = out.loc[rows, ["open", "close"]].min(axis=1)
    body_high = out.loc[rows, ["open", "close"]].max(axis=1)
    high_below = rng.random(len(rows)) < 0.5
    out.loc[rows[high_below], "high"] = body_low[high_below] * 0.98
    out.loc[rows[~high_below], "low"] = body_high[~high_below] * 1.02
    return Injection(out, rows, {})


def nan_values(bars: pd.DataFrame, rows: np.ndarray, rng: np.random.Generator) -> Injection:
    out = bars.copy()
    columns = rng.choice(NUMERIC, size=len(rows))
    for row, column in zip(rows, columns, strict=True):
        out.loc[row, column] = np.nan
    return Injection(out, rows, {})


def duplicates(bars: pd.DataFrame, rows: np.ndarray, rng: np.random.Generator) -> Injection:
    out = pd.concat([bars, bars.loc[rows]], ignore_index=True)
    return Injection(out, np.arange(len(bars), len(out)), {})


def spikes(bars: pd.DataFrame, rows: np.ndarray, rng: np.random.Generator) -> Injection:
    out = bars.copy()
    size = rng.uniform(0.25, 0.6, len(rows))
    factor = np.where(rng.random(len(rows)) < 0.5, 1.0 + size, 1.0 / (1.0 + size))
    out.loc[rows, PRICES] = np.round(out.loc[rows, PRICES].to_numpy() * factor[:, None], 4)
    return Injection(out, rows, {})


def stale_runs(bars: pd.DataFrame, rows: np.ndarray, rng: np.random.Generator) -> Injection:
    out = bars.copy()
    spoiled = []
    for row, length in zip(rows, rng.integers(2, 5, len(rows)), strict=True):
        run = np.arange(row + 1, row + 1 + length)
        out.loc[run, PRICES] = out.loc[row, "close"]
        spoiled.extend(run)
    return Injection(out, np.asarray(spoiled), {})


def wrong_types(bars: pd.DataFrame, rows: np.ndarray, rng: np.random.Generator) -> Injection:
    texts = ["n/a?", "1,2O0", "abc", "12.3.4", "--"]
    columns = rng.choice(NUMERIC, size=len(rows))
    pairs = enumerate(zip(rows, columns, strict=True))
    text = {(int(r), str(c)): texts[i % len(texts)] for i, (r, c) in pairs}
    return Injection(bars.copy(), rows, text)


def shifted_timestamps(bars: pd.DataFrame, rows: np.ndarray, rng: np.random.Generator) -> Injection:
    out = bars.copy()
    hours = rng.choice([-5, -4, -1, 1, 3, -21], size=len(rows))
    out.loc[rows, "event_timestamp"] += pd.to_timedelta(hours, unit="h")
    return Injection(out, rows, {})


KINDS: dict[str, tuple[Callable[..., Injection], set[str]]] = {
    "bad_ohlc": (bad_ohlc, {"high_is_max", "low_is_min"}),
    "nan": (nan_values, {f"not_null:{c}" for c in NUMERIC}),
    "duplicates": (duplicates, {"unique_key"}),
    "spikes": (spikes, {"reverting_spike"}),
    "stale_runs": (stale_runs, {"stale_price"}),
    "wrong_types": (wrong_types, {f"type:{c}" for c in NUMERIC}),
    "shifted_timestamps": (shifted_timestamps, {"session_close"}),
}
"""Kind → (injector, rules or detectors whose flag on a row counts as detecting it)."""


def write_vendor_csv(injection: Injection, path) -> None:  # noqa: ANN001 - a Path
    """The bars as a vendor CSV; row k of ``bars`` is on line k + 2."""
    bars = injection.bars
    frame = pd.DataFrame(
        {
            "Date": bars["event_timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Ticker": bars["symbol"],
            **{c.title(): bars[c].astype(object) for c in NUMERIC},
        }
    )
    for (row, column), text in injection.text.items():
        frame.iat[row, frame.columns.get_loc(column.title())] = text
    frame.to_csv(path, index=False)
