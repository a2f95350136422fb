"""Fixed-horizon and trend-scanning labels, vectorised over one symbol's closes.

Both return per labelled bar its start and end positions (``t0``/``t1`` as bar indices); a
bar whose horizon runs past the data is not labelled.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class HorizonLabels:
    start: np.ndarray
    end: np.ndarray
    label: np.ndarray
    value: np.ndarray
    """The return (fixed horizon) or the trend's t-value (trend scanning)."""


def fixed_horizon(
    close: np.ndarray, horizon: int = 5, threshold: float | np.ndarray = 0.0
) -> HorizonLabels:
    """+1 / -1 when the ``horizon``-bar return is above / below ±``threshold``, else 0.

    ``threshold`` may be per bar (e.g. a volatility scaled by the horizon's square root).
    """
    close = np.asarray(close, dtype=np.float64)
    start = np.arange(len(close) - horizon)
    ret = close[start + horizon] / close[start] - 1.0
    limit = np.broadcast_to(np.asarray(threshold, dtype=np.float64), close.shape)[start]
    label = np.where(ret > limit, 1, np.where(ret < -limit, -1, 0)).astype(np.int64)
    keep = np.isfinite(ret) & np.isfinite(limit)
    return HorizonLabels(start[keep], start[keep] + horizon, label[keep], ret[keep])


def _window_sums(y: np.ndarray, length: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per window start: Σy, Σ j·y (j = 0 … length-1) and Σy² over ``length`` bars."""
    n = len(y)
    i = np.arange(n, dtype=np.float64)
    cy = np.concatenate(([0.0], np.cumsum(y)))
    ciy = np.concatenate(([0.0], np.cumsum(i * y)))
    cyy = np.concatenate(([0.0], np.cumsum(y * y)))
    s = np.arange(n - length + 1)
    sy = cy[s + length] - cy[s]
    sjy = (ciy[s + length] - ciy[s]) - s * sy
    syy = cyy[s + length] - cyy[s]
    return sy, sjy, syy


def trend_t_values(close: np.ndarray, length: int) -> np.ndarray:
    """t-value of the OLS slope of log close on time over ``length`` bars from each start."""
    y = np.log(np.asarray(close, dtype=np.float64))
    sy, sjy, syy = _window_sums(y, length)
    j = np.arange(length, dtype=np.float64)
    sx, sxx = j.sum(), (j * j).sum()
    denom = length * sxx - sx * sx
    slope = (length * sjy - sx * sy) / denom
    intercept = (sy - slope * sx) / length
    sse = syy - intercept * sy - slope * sjy
    sigma2 = np.maximum(sse, 0.0) / (length - 2)
    se = np.sqrt(sigma2 * length / denom)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(se > 0, slope / se, 0.0)


def trend_scanning(close: np.ndarray, lengths: range = range(5, 21)) -> HorizonLabels:
    """Label each bar with the sign of the strongest trend ahead: among windows of
    ``lengths`` bars starting at the bar, the one whose slope has the largest |t-value|;
    ``t1`` is that window's last bar."""
    close = np.asarray(close, dtype=np.float64)
    n, longest = len(close), max(lengths)
    starts = np.arange(n - longest + 1)
    table = np.vstack([trend_t_values(close, L)[starts] for L in lengths])
    best = np.abs(table).argmax(axis=0)
    t = table[best, starts]
    end = starts + np.asarray(lengths)[best] - 1
    return HorizonLabels(starts, end, np.sign(t).astype(np.int64), t)
