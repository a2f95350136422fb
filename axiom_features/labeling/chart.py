"""The annotation page's picture of an item: an inline SVG candlestick chart of the bars
around it, and a few features computed from the bars up to it."""

from __future__ import annotations

from html import escape

import numpy as np
import pandas as pd


def window(bars: pd.DataFrame, time: pd.Timestamp, before: int = 30, after: int = 10):  # noqa: ANN201
    """The bars from ``before`` bars before ``time`` to ``after`` bars after, and the
    position of ``time`` in them (``None`` when absent)."""
    bars = bars.sort_values("event_timestamp").reset_index(drop=True)
    stamps = pd.DatetimeIndex(pd.to_datetime(bars["event_timestamp"], utc=True))
    time = pd.Timestamp(time).tz_convert("UTC")
    at = int(stamps.searchsorted(time))
    if at >= len(stamps) or stamps[at] != time:
        return bars.iloc[max(0, at - before) : at + after].reset_index(drop=True), None
    start = max(0, at - before)
    return bars.iloc[start : at + after + 1].reset_index(drop=True), at - start


def candlestick_svg(
    bars: pd.DataFrame, focus: int | None, width: int = 720, height: int = 300
) -> str:  # noqa: E501
    """Candles (green up, red down) with the focus bar marked by a band."""
    if bars.empty:
        return f'<svg id="chart" width="{width}" height="{height}"></svg>'
    lo, hi = float(bars["low"].min()), float(bars["high"].max())
    span = hi - lo or 1.0
    step = width / len(bars)

    def y(price: float) -> float:
        return round(height - 10 - (price - lo) / span * (height - 20), 1)

    parts = [f'<svg id="chart" xmlns="http://www.w3.org/2000/svg" width="{width}" '
             f'height="{height}" role="img" aria-label="candlestick chart">']  # fmt: skip
    if focus is not None:
        parts.append(f'<rect class="focus" x="{focus * step:.1f}" y="0" width="{step:.1f}" '
                     f'height="{height}" fill="#fff3bf"/>')  # fmt: skip
    for i, bar in enumerate(bars.itertuples()):
        x = i * step + step / 2
        colour = "#2b8a3e" if bar.close >= bar.open else "#c92a2a"
        top, bottom = y(max(bar.open, bar.close)), y(min(bar.open, bar.close))
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y(bar.high)}" y2="{y(bar.low)}" '
                     f'stroke="{colour}"/>')  # fmt: skip
        parts.append(f'<rect class="candle" x="{x - step * 0.35:.1f}" y="{top}" '
                     f'width="{step * 0.7:.1f}" height="{max(bottom - top, 1):.1f}" '
                     f'fill="{colour}"/>')  # fmt: skip
    parts.append("</svg>")
    return "".join(parts)


def bar_features(bars: pd.DataFrame, focus: int | None) -> dict[str, float]:
    """Features known at the focus bar: returns over 1, 5 and 20 bars, 20-bar volatility and
    volume against its 20-bar mean."""
    if focus is None:
        return {}
    close = bars["close"].to_numpy(dtype=float)[: focus + 1]
    volume = bars["volume"].to_numpy(dtype=float)[: focus + 1]
    returns = np.diff(close) / close[:-1]

    def back(n: int) -> float:
        return float(close[-1] / close[-1 - n] - 1) if len(close) > n else float("nan")

    return {
        "return_1": back(1),
        "return_5": back(5),
        "return_20": back(20),
        "volatility_20": float(returns[-20:].std()) if len(returns) >= 2 else float("nan"),
        "volume_ratio_20": float(volume[-1] / volume[-20:].mean()) if len(volume) else float("nan"),
    }


def features_table(features: dict[str, float]) -> str:
    rows = "".join(
        f'<tr><th>{escape(k)}</th><td data-feature="{escape(k)}">{v:.4f}</td></tr>'
        for k, v in features.items()
    )
    return f'<table id="features">{rows}</table>'
