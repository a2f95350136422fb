"""Trailing-window statistics on 1-D float64 arrays, vectorized with numpy.

Every ``rolling_*`` function returns an array as long as its input whose value at row ``t``
depends only on rows ``t - window + 1 .. t`` (strictly trailing, no look-ahead). The first
``window - 1`` rows are NaN, and so is every row whose window holds a NaN or an infinity:
there are no partial windows.

Functions take a 1-D series or an N-D panel whose last axis is time (one series per leading
index, e.g. ``(symbols, bars)``); each series of a panel gets the values the 1-D function
gives it, bit for bit. The ``rolling_*`` functions but the skewness, kurtosis and lower-tail
shorthands take ``newest``: only the last ``newest`` rows are computed (the others are NaN),
with the values a full computation gives them, bit for bit (window sums difference the same
cumulative sums at those rows only).

Sums, means, variances and covariances come from cumulative sums (O(n) whatever the
window), taken on values shifted by their first finite value so that the differences stay
precise; order statistics, ranks and higher moments work on a strided ``(rows, window)``
view of the input, drawdowns walk the window's offsets as contiguous slices.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

FloatArray = np.ndarray


def as_float(values: object) -> FloatArray:
    """A contiguous float64 copy-free view (when possible) of ``values``."""
    return np.ascontiguousarray(np.asarray(values, dtype=np.float64))


def lag(x: FloatArray, periods: int = 1) -> FloatArray:
    """``x`` moved ``periods`` rows later; the first ``periods`` rows are NaN."""
    n = np.shape(x)[-1]
    out = np.full(np.shape(x), np.nan)
    if periods < n:
        out[..., periods:] = x[..., : n - periods]
    return out


def safe_divide(numerator: FloatArray, denominator: FloatArray) -> FloatArray:
    """``numerator / denominator``, NaN where the denominator is zero or not finite."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.divide(numerator, denominator)
    out[~np.isfinite(out)] = np.nan
    return out


def simple_returns(prices: FloatArray) -> FloatArray:
    """``p_t / p_{t-1} - 1``; NaN on the first row and next to a missing price."""
    return safe_divide(prices, lag(prices)) - 1.0


def log_ratio(numerator: FloatArray, denominator: FloatArray) -> FloatArray:
    """``ln(numerator / denominator)``, NaN for non-positive or missing inputs."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.log(numerator / denominator)
    out[~np.isfinite(out)] = np.nan
    return out


def trailing_windows(x: FloatArray, window: int) -> FloatArray:
    """Read-only ``(..., n - window + 1, window)`` view; row ``i`` ends at column
    ``i + window - 1``."""
    return sliding_window_view(x, window, axis=-1)


def place_newest(values: FloatArray, n: int) -> FloatArray:
    """``values`` (the last rows of a series) as the last entries of rows of ``n``, NaN before."""
    out = np.full((*np.shape(values)[:-1], n), np.nan)
    out[..., n - np.shape(values)[-1] :] = values
    return out


def _place(values: FloatArray, n: int, window: int) -> FloatArray:
    """Values of the full windows (the last ones: as many as ``values`` holds) in rows of ``n``."""
    out = np.full((*np.shape(values)[:-1], n), np.nan)
    if n >= window:
        out[..., n - np.shape(values)[-1] :] = values
    return out


def _window_sums(x: FloatArray, window: int) -> FloatArray:
    """Sums over each full window of a finite array (length ``n - window + 1``)."""
    start = np.zeros((*np.shape(x)[:-1], 1))
    cumulative = np.concatenate((start, np.cumsum(x, axis=-1)), axis=-1)
    return cumulative[..., window:] - cumulative[..., :-window]


def _newest_sums(x: FloatArray, window: int, newest: int) -> FloatArray:
    """The last ``newest`` (at most ``n - window + 1``) entries of :func:`_window_sums`."""
    return _differenced(np.cumsum(x, axis=-1), window, newest)


def _differenced(cumulative: FloatArray, window: int, newest: int) -> FloatArray:
    """:func:`_newest_sums` from the cumulative sums of the array."""
    n = np.shape(cumulative)[-1]
    rows = min(newest, n - window + 1)
    before = n - window - rows
    if before >= 0:
        starts = cumulative[..., before : n - window]
    else:
        zero = np.zeros((*np.shape(cumulative)[:-1], 1))
        starts = np.concatenate((zero, cumulative[..., : n - window]), axis=-1)
    return cumulative[..., n - rows :] - starts


def _sums(x: FloatArray, window: int, newest: int | None) -> FloatArray:
    """:func:`_window_sums`, or its last ``newest`` entries when given."""
    return _window_sums(x, window) if newest is None else _newest_sums(x, window, newest)


def _newest_incomplete(*arrays: FloatArray, window: int, newest: int) -> FloatArray:
    """The last ``newest`` (at most ``n - window + 1``) entries of :func:`_incomplete`."""
    n = np.shape(arrays[0])[-1]
    span = min(newest, n - window + 1) + window - 1
    bad = np.zeros((*np.shape(arrays[0])[:-1], span), dtype=bool)
    for x in arrays:
        bad |= ~np.isfinite(x[..., n - span :])
    return trailing_windows(bad, window).any(axis=-1)


def _incomplete_rows(*arrays: FloatArray, window: int, newest: int | None) -> FloatArray:
    """:func:`_incomplete`, or its last ``newest`` entries when given."""
    if newest is None:
        return _incomplete(*arrays, window=window)
    return _newest_incomplete(*arrays, window=window, newest=newest)


def _incomplete(*arrays: FloatArray, window: int) -> FloatArray:
    """Per full window: True when any of ``arrays`` has a non-finite value in it."""
    bad = np.zeros(np.shape(arrays[0]), dtype=bool)
    for x in arrays:
        bad |= ~np.isfinite(x)
    return _window_sums(bad.astype(np.float64), window) > 0.5


def _shifted(x: FloatArray) -> FloatArray:
    """``x`` minus its first finite value, non-finite values set to 0 (masked separately)."""
    finite = np.isfinite(x)
    if x.ndim == 1:
        origin = x[np.argmax(finite)] if finite.any() else 0.0
        return np.where(finite, x - origin, 0.0)
    first = np.take_along_axis(x, np.argmax(finite, axis=-1)[..., None], axis=-1)
    origins = np.where(finite.any(axis=-1, keepdims=True), first, 0.0)
    return np.where(finite, x - origins, 0.0)


def _newest(windows: FloatArray, newest: int | None) -> FloatArray:
    """The last ``newest`` windows of a ``(..., rows, window)`` view (all when None)."""
    if newest is None or newest >= windows.shape[-2]:
        return windows
    return windows[..., windows.shape[-2] - newest :, :]


def rolling_sum(x: FloatArray, window: int, newest: int | None = None) -> FloatArray:
    """Sum of the last ``window`` values."""
    n = np.shape(x)[-1]
    if n < window:
        return np.full(np.shape(x), np.nan)
    finite = np.isfinite(x)
    sums = _sums(np.where(finite, x, 0.0), window, newest)
    sums[_incomplete_rows(x, window=window, newest=newest)] = np.nan
    return _place(sums, n, window)


def rolling_mean(x: FloatArray, window: int, newest: int | None = None) -> FloatArray:
    """Mean of the last ``window`` values."""
    return rolling_sum(x, window, newest) / window


def rolling_cov(
    x: FloatArray, y: FloatArray, window: int, ddof: int = 1, newest: int | None = None
) -> FloatArray:
    """Covariance of the last ``window`` pairs ``(x, y)`` (divisor ``window - ddof``)."""
    n = np.shape(x)[-1]
    if n < window:
        return np.full(np.shape(x), np.nan)
    a = _shifted(x)
    b = a if y is x else _shifted(y)
    sa = _sums(a, window, newest)
    sb = sa if b is a else _sums(b, window, newest)
    sab = _sums(a * b, window, newest)
    cov = _covariance(sa, sb, sab, window, ddof)
    cov[_incomplete_rows(x, y, window=window, newest=newest)] = np.nan
    return _place(cov, n, window)


def _covariance(
    sa: FloatArray, sb: FloatArray, sab: FloatArray, window: int, ddof: int
) -> FloatArray:
    """Covariances from window sums of ``a``, ``b`` and ``a b`` (divisor ``window - ddof``)."""
    return (sab - sa * sb / window) / (window - ddof)


def rolling_var(x: FloatArray, window: int, ddof: int = 1, newest: int | None = None) -> FloatArray:
    """Variance of the last ``window`` values (divisor ``window - ddof``), never below 0."""
    return np.maximum(rolling_cov(x, x, window, ddof, newest), 0.0)


def rolling_std(x: FloatArray, window: int, ddof: int = 1, newest: int | None = None) -> FloatArray:
    """Standard deviation of the last ``window`` values (divisor ``window - ddof``)."""
    return np.sqrt(rolling_var(x, window, ddof, newest))


def rolling_corr(
    x: FloatArray, y: FloatArray, window: int, newest: int | None = None
) -> FloatArray:
    """Pearson correlation of the last ``window`` pairs; NaN when either side is constant."""
    cov = rolling_cov(x, y, window, newest=newest)
    variances = rolling_var(x, window, newest=newest) * rolling_var(y, window, newest=newest)
    return safe_divide(cov, np.sqrt(variances))


class PairSums:
    """Cumulative sums of ``x``, ``y``, ``x y`` and ``y y`` (each side shifted as in
    :func:`rolling_cov`): the newest rows of :func:`rolling_cov` of ``(x, y)`` and of
    :func:`rolling_var` of ``y``, bit for bit, at any window from one pass over the series."""

    def __init__(self, x: FloatArray, y: FloatArray) -> None:
        a, b = _shifted(x), _shifted(y)
        self.x, self.y = x, y
        self.a, self.b, self.ab, self.bb = (np.cumsum(v, axis=-1) for v in (a, b, a * b, b * b))

    def cov(self, window: int, newest: int, ddof: int = 1) -> FloatArray:
        """:func:`rolling_cov` of ``(x, y)`` on the last ``newest`` rows."""
        return self._cov(self.a, self.ab, (self.x, self.y), window, newest, ddof)

    def var_y(self, window: int, newest: int, ddof: int = 1) -> FloatArray:
        """:func:`rolling_var` of ``y`` on the last ``newest`` rows."""
        return np.maximum(self._cov(self.b, self.bb, (self.y,), window, newest, ddof), 0.0)

    def _cov(
        self,
        a: FloatArray,
        ab: FloatArray,
        inputs: tuple[FloatArray, ...],
        window: int,
        newest: int,
        ddof: int,
    ) -> FloatArray:
        n = np.shape(self.y)[-1]
        if n < window:
            return np.full(np.shape(self.y), np.nan)
        sa, sab = _differenced(a, window, newest), _differenced(ab, window, newest)
        sb = sa if a is self.b else _differenced(self.b, window, newest)
        cov = _covariance(sa, sb, sab, window, ddof)
        cov[_newest_incomplete(*inputs, window=window, newest=newest)] = np.nan
        return _place(cov, n, window)


def rolling_central_moments(
    x: FloatArray, window: int, newest: int | None = None
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Population central moments ``m2, m3, m4`` of the last ``window`` values.

    NaN for incomplete windows and for flat ones (``m2`` at rounding level), so that the
    standardized moments built from them are NaN rather than noise.
    """
    n = np.shape(x)[-1]
    if n < window:
        return tuple(np.full(np.shape(x), np.nan) for _ in range(3))  # type: ignore[return-value]
    windows = _newest(trailing_windows(x, window), newest)
    deviations = windows - windows.mean(axis=-1, keepdims=True)
    squared = deviations * deviations
    m2 = squared.mean(axis=-1)
    m3 = np.einsum("...ij,...ij->...i", squared, deviations) / window
    m4 = np.einsum("...ij,...ij->...i", squared, squared) / window
    flat = m2 <= 1e-14 * np.abs(windows).max(axis=-1) ** 2
    incomplete = _incomplete(x, window=window)[..., -m2.shape[-1] :]
    m2[flat | incomplete] = np.nan
    return tuple(_place(m, n, window) for m in (m2, m3, m4))  # type: ignore[return-value]


def skew_from_moments(m2: FloatArray, m3: FloatArray, window: int) -> FloatArray:
    """Bias-corrected sample skewness ``G1 = sqrt(n(n-1))/(n-2) * m3 / m2^1.5``."""
    w = float(window)
    return safe_divide(m3, m2**1.5) * np.sqrt(w * (w - 1.0)) / (w - 2.0)


def kurt_from_moments(m2: FloatArray, m4: FloatArray, window: int) -> FloatArray:
    """Bias-corrected excess kurtosis ``G2 = ((n+1) g2 + 6)(n-1) / ((n-2)(n-3))``.

    ``g2 = m4 / m2^2 - 3`` is the population excess kurtosis of the window.
    """
    w = float(window)
    g2 = safe_divide(m4, m2**2) - 3.0
    return ((w + 1.0) * g2 + 6.0) * (w - 1.0) / ((w - 2.0) * (w - 3.0))


def rolling_skew(x: FloatArray, window: int) -> FloatArray:
    """Sample skewness of the last ``window`` values, bias-corrected (as pandas, scipy)."""
    m2, m3, _ = rolling_central_moments(x, window)
    return skew_from_moments(m2, m3, window)


def rolling_kurt(x: FloatArray, window: int) -> FloatArray:
    """Sample excess kurtosis of the last ``window`` values, bias-corrected (as pandas, scipy)."""
    m2, _, m4 = rolling_central_moments(x, window)
    return kurt_from_moments(m2, m4, window)


def rolling_pct_rank(x: FloatArray, window: int, newest: int | None = None) -> FloatArray:
    """Percentile rank of the last value among the last ``window`` values, in ``(0, 1]``.

    Average rank for ties divided by ``window`` (pandas ``rolling().rank(pct=True)``):
    ``(#{v < x_t} + (#{v == x_t} + 1) / 2) / window``.
    """
    n = np.shape(x)[-1]
    if n < window:
        return np.full(np.shape(x), np.nan)
    windows = _newest(trailing_windows(x, window), newest)
    last = windows[..., -1:]
    below = np.count_nonzero(windows < last, axis=-1)
    ties = np.count_nonzero(windows == last, axis=-1)
    pct = (below + (ties + 1) / 2.0) / window
    pct[_incomplete(x, window=window)[..., -pct.shape[-1] :]] = np.nan
    return _place(pct, n, window)


def rolling_max_drawdown(prices: FloatArray, window: int, newest: int | None = None) -> FloatArray:
    """Largest fall from a running peak within the last ``window`` prices, as a fraction.

    ``max_s (1 - p_s / max_{u <= s} p_u)`` over the window's prices; 0 for a rising path.
    Walks the window's offsets (each a contiguous slice) rather than each window's values.
    """
    n = np.shape(prices)[-1]
    if n < window:
        return np.full(np.shape(prices), np.nan)
    rows = n - window + 1
    if newest is not None and window > 1:
        # few rows: each window at once (the same maxima and quotients as the walk below)
        windows = _newest(trailing_windows(prices, window), newest)
        with np.errstate(invalid="ignore", divide="ignore"):
            peaks_ = np.maximum.accumulate(windows, axis=-1)[..., 1:]
            lowest = np.minimum(1.0, (windows[..., 1:] / peaks_).min(axis=-1))
        drawdown = 1.0 - lowest
        drawdown[_incomplete(prices, window=window)[..., -drawdown.shape[-1] :]] = np.nan
        return _place(drawdown, n, window)
    peaks = prices[..., :rows].copy()
    worst = np.ones(peaks.shape)
    ratio = np.empty(peaks.shape)
    with np.errstate(invalid="ignore", divide="ignore"):
        for offset in range(1, window):
            values = prices[..., offset : offset + rows]
            np.maximum(peaks, values, out=peaks)
            np.divide(values, peaks, out=ratio)
            np.minimum(worst, ratio, out=worst)
    drawdown = 1.0 - worst
    drawdown[_incomplete(prices, window=window)] = np.nan
    return _place(drawdown, n, window)


def rolling_sorted(x: FloatArray, window: int, newest: int | None = None) -> FloatArray:
    """The last ``window`` values in increasing order, one row per bar: ``(..., n, window)``.

    Rows before the first full window and rows of incomplete windows are all NaN. With
    ``newest``, only the last ``newest`` rows are returned: ``(..., newest, window)``.
    """
    n = np.shape(x)[-1]
    rows = n if newest is None else min(n, newest)
    out = np.full((*np.shape(x)[:-1], rows, window), np.nan)
    if n >= window:
        ordered = np.sort(_newest(trailing_windows(x, window), newest), axis=-1)
        ordered[_incomplete(x, window=window)[..., -ordered.shape[-2] :]] = np.nan
        out[..., rows - ordered.shape[-2] :, :] = ordered
    return out


def lower_tail(ordered: FloatArray, level: float) -> tuple[FloatArray, FloatArray]:
    """Historical VaR and CVaR at ``level`` from sorted windows, as positive losses.

    With ``w`` values per window, VaR is minus the ``1 - level`` quantile (linear
    interpolation between order statistics at position ``(w - 1)(1 - level)``, numpy's
    default) and CVaR minus the mean of the ``ceil(w (1 - level))`` smallest values.
    """
    window = ordered.shape[-1]
    position = (window - 1) * (1.0 - level)
    below = int(np.floor(position))
    above = min(below + 1, window - 1)
    tail = max(1, int(np.ceil(window * (1.0 - level) - 1e-9)))
    low = ordered[..., below]
    var = -(low + (position - below) * (ordered[..., above] - low))
    cvar = -ordered[..., :tail].mean(axis=-1)
    return var, cvar


def rolling_lower_tail(x: FloatArray, window: int, level: float) -> tuple[FloatArray, FloatArray]:
    """Historical VaR and CVaR at ``level`` of the last ``window`` values (:func:`lower_tail`)."""
    return lower_tail(rolling_sorted(x, window), level)
