"""Terminal rendering of the demo's live stream: throughput, latency, a feature changing."""

from __future__ import annotations

from collections.abc import Iterator

from rich.console import RenderableType
from rich.table import Table

from axiom_features.cli.support import summary_table
from axiom_features.pipeline.demo_stream import StreamDemoResult, WatchedValue

SHOWN_READINGS = 8


def stream_report(result: StreamDemoResult) -> Iterator[RenderableType]:
    """The stream's figures, then the watched feature's changes (a few, evenly spaced)."""

    def ms(value: float | None) -> str:
        return "n/a" if value is None else f"{value:,.1f} ms"

    rate = result.consumed / result.seconds if result.seconds else 0.0
    yield summary_table(
        f"live stream ({result.source}): publish → online (get_online_features)",
        [
            ("bars published", f"{result.published:,}"),
            ("bars online", f"{result.consumed:,} ({rate:,.0f} bars/s)"),
            ("dead letters", f"{result.dead_letters:,}"),
            ("latency p50 / p99", f"{ms(result.latency_p50_ms)} / {ms(result.latency_p99_ms)}"),
        ],
    )
    table = Table(
        title=f"{result.feature} of {result.symbol}, read online while bars arrived",
        title_justify="left",
    )
    for column in ("after", "bar", "value"):
        table.add_column(column, justify="right" if column != "bar" else "left")
    for reading in spaced(result.readings, SHOWN_READINGS):
        bar = f"{reading.bar_time:%Y-%m-%d %H:%M} UTC" if reading.bar_time is not None else "—"
        value = "—" if reading.value is None else f"{reading.value:.4f}"
        table.add_row(f"{reading.seconds:.1f} s", bar, value)
    yield table


def spaced(readings: list[WatchedValue], count: int) -> list[WatchedValue]:
    """``count`` readings spread evenly over ``readings``, the first and the last included."""
    if len(readings) <= count:
        return readings
    step = (len(readings) - 1) / (count - 1)
    return [readings[round(i * step)] for i in range(count)]
