"""Detectors of suspicious bars. Each takes bars (contract columns) and returns findings.

Methods and default thresholds (daily units; all per symbol, in time order):

- ``reverting_spike``: a close far from both neighbours — robust z-score
  (``(x - median) / (1.4826·MAD)``) of ``ln c_t − (ln c_{t−1} + ln c_{t+1}) / 2`` above 8.5 —
  reached by a return and left by an opposite one, both with robust ``|z| > 4``: a price
  that jumps and comes straight back, i.e. one bad bar (a lasting jump is not one).
  Of two neighbouring hits only the stronger is kept. The next close must be back within
  25% of the jump (and the one after within 50%): a move that persists, even after a
  partial retrace, is not a spike. Needs 20 returns per symbol; a symbol's first and last
  bar cannot be judged.
- ``return_outlier``: any return with robust ``|z| > 8`` (real jumps too; a warning).
- ``stale_price``: a close equal to the previous close, in a run of at least 2 such bars
  (three or more bars at one price).
- ``zero_volume_run``: volume 0 on at least 3 consecutive bars.
- ``calendar_gap``: for daily series, sessions of the exchange calendar missing between two
  consecutive bars (the finding is on the later bar; ``value`` = sessions missing).
- ``volume_anomaly``: robust ``|z| > 6`` of log volume (bars with volume > 0; 20 needed).

Each takes ``series`` (``ordered(bars)``) when the caller already has it, so one gate sorts
its batch once for every detector.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from axiom_features.quality.outliers.findings import empty_findings, findings
from axiom_features.quality.outliers.series import (
    Ordered,
    column,
    daily_symbols,
    expected_closes,
    log_returns,
    ordered,
    robust_z,
    run_lengths,
    session_positions,
)

MIN_HISTORY = 20


def reverting_spikes(
    bars: pd.DataFrame,
    k: float = 8.5,
    k_move: float = 4.0,
    series: Ordered | None = None,
    **_: object,
) -> pd.DataFrame:
    """One-bar price spikes that revert on the next bar."""
    series = series if series is not None else ordered(bars)
    r = log_returns(bars, series)
    z = robust_z(r, series.group, MIN_HISTORY)
    z_next, r_next = series.following(z), series.following(r)
    bump = (r - r_next) / 2.0  # log close minus the mean of its neighbours' log closes
    z_bump = robust_z(bump, series.group, MIN_HISTORY)
    with np.errstate(invalid="ignore"):
        hit = (
            (np.abs(z_bump) > k)
            & (np.abs(z) > k_move)
            & (np.abs(z_next) > k_move)
            & (np.sign(r) != np.sign(r_next))
        )
    hit &= ~_outshone(hit, np.abs(np.nan_to_num(z_bump)), series.first)
    hit &= _came_back(r, r_next, series.following(r_next))
    return findings(
        bars,
        series.order[hit],
        "reverting_spike",
        z_bump[hit],
        k,
        "robust z of close vs neighbours",
    )


REVERTED_SHARE = 0.25
"""A spike reverts when the next close is back within this share of the jump."""


def _came_back(r: np.ndarray, r_next: np.ndarray, r_after: np.ndarray) -> np.ndarray:
    """Whether the price went back to where it was before the bar, and stayed there.

    ``r + r_next`` is the next close against the close before the spike; it must be within
    :data:`REVERTED_SHARE` of the jump, and two bars on within twice that (when there is such a
    bar). A move that persists, even after a partial retrace, is data, not a bad bar.
    """
    jump = np.abs(r)
    after = np.where(np.isnan(r_after), 0.0, r_after)
    with np.errstate(invalid="ignore"):
        back = np.abs(r + r_next) <= REVERTED_SHARE * jump
        stays = np.abs(r + r_next + after) <= 2 * REVERTED_SHARE * jump
    return back & stays


def _outshone(hit: np.ndarray, strength: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Hits next to a stronger hit of the same symbol (the spike is the stronger one)."""
    if len(hit) < 2:
        return np.zeros(len(hit), dtype=bool)
    same = ~first[1:]
    pair = hit[:-1] & hit[1:] & same
    weaker = np.zeros(len(hit), dtype=bool)
    weaker[:-1] |= pair & (strength[:-1] < strength[1:])
    weaker[1:] |= pair & (strength[1:] <= strength[:-1])
    return weaker


def return_outliers(
    bars: pd.DataFrame, k: float = 8.0, series: Ordered | None = None, **_: object
) -> pd.DataFrame:
    """Returns far outside the symbol's usual range (robust z-score)."""
    series = series if series is not None else ordered(bars)
    z = robust_z(log_returns(bars, series), series.group, MIN_HISTORY)
    with np.errstate(invalid="ignore"):
        hit = np.abs(z) > k
    return findings(bars, series.order[hit], "return_outlier", z[hit], k, "robust z of return")


def stale_prices(
    bars: pd.DataFrame, min_repeats: int = 2, series: Ordered | None = None, **_: object
) -> pd.DataFrame:
    """Closes repeated unchanged over a run of bars."""
    series = series if series is not None else ordered(bars)
    close = column(bars, "close", series)
    same = close == series.previous(close)
    runs = run_lengths(same, series.first)
    hit = runs >= min_repeats
    return findings(
        bars, series.order[hit], "stale_price", runs[hit], min_repeats, "bars repeating the close"
    )


def zero_volume_runs(
    bars: pd.DataFrame, min_run: int = 3, series: Ordered | None = None, **_: object
) -> pd.DataFrame:
    """Consecutive bars without volume."""
    series = series if series is not None else ordered(bars)
    runs = run_lengths(column(bars, "volume", series) == 0, series.first)
    hit = runs >= min_run
    return findings(
        bars, series.order[hit], "zero_volume_run", runs[hit], min_run, "bars in a zero-volume run"
    )


def calendar_gaps(
    bars: pd.DataFrame, calendar: str = "XNYS", series: Ordered | None = None, **_: object
) -> pd.DataFrame:
    """Trading sessions missing between consecutive bars of a daily series."""
    series = series if series is not None else ordered(bars)
    if not len(series.order):
        return empty_findings()
    stamps = bars["event_timestamp"].iloc[series.order].reset_index(drop=True)
    at_close = (stamps == expected_closes(stamps, calendar)).to_numpy()
    sorted_bars = bars.iloc[series.order].reset_index(drop=True)
    daily = daily_symbols(sorted_bars, at_close)
    position = session_positions(stamps, calendar).astype(np.float64)
    missing = position - series.previous(position) - 1
    hit = daily & (missing > 0)
    return findings(
        bars, series.order[hit], "calendar_gap", missing[hit], 0, "sessions missing before"
    )


def volume_anomalies(
    bars: pd.DataFrame, k: float = 6.0, series: Ordered | None = None, **_: object
) -> pd.DataFrame:
    """Volumes far outside the symbol's usual range (robust z of log volume)."""
    series = series if series is not None else ordered(bars)
    volume = column(bars, "volume", series)
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.where(volume > 0, np.log(volume), np.nan)
    z = robust_z(logs, series.group, MIN_HISTORY)
    with np.errstate(invalid="ignore"):
        hit = np.abs(z) > k
    return findings(bars, series.order[hit], "volume_anomaly", z[hit], k, "robust z of log volume")


Detector = Callable[..., pd.DataFrame]

DETECTORS: dict[str, Detector] = {
    "reverting_spike": reverting_spikes,
    "return_outlier": return_outliers,
    "stale_price": stale_prices,
    "zero_volume_run": zero_volume_runs,
    "calendar_gap": calendar_gaps,
    "volume_anomaly": volume_anomalies,
}
"""Every detector by the name its findings carry."""
