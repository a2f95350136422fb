"""``axiom stream publish | run | status``: the live bar stream."""

from __future__ import annotations

from pathlib import Path

import click

from axiom_features.cli.support import console, fail_cleanly, print_json


@click.group()
def stream() -> None:
    """Live bars: publish a feed, consume it into online features, watch its status."""


@stream.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--rate", type=float, help="Bars per second (default: as fast as possible).")
@click.option("--source", default="live", show_default=True, help="Bar source (one stream each).")
@click.option("--timezone", default="UTC", show_default=True, help="Zone of naive timestamps.")
@click.pass_obj
@fail_cleanly
def publish(ctx, file: Path, rate: float | None, source: str, timezone: str) -> None:  # noqa: ANN001
    """Play a CSV or Parquet bar file as a live feed at RATE bars per second."""
    from axiom_features.paths import RepoPaths
    from axiom_features.streaming.names import bar_stream
    from axiom_features.streaming.publisher import publish_bars, read_bar_file
    from axiom_features.streaming.redis_transport import RedisStreamsTransport
    from axiom_features.streaming.server import stream_url

    bars = read_bar_file(file, timezone=timezone, source=source)
    transport = RedisStreamsTransport(stream_url(RepoPaths(ctx.repo)))
    result = publish_bars(transport, bar_stream(source), bars, source=source, rate=rate)
    console.print(
        f"published {result.bars:,} bars to {bar_stream(source)} in {result.seconds:.1f} s "
        f"(ids {result.first_id} … {result.last_id})"
    )


@stream.command()
@click.option("--source", default="live", show_default=True, help="Bar source to consume.")
@click.option("--consumer", help="Consumer name (default: host-pid).")
@click.option("--batch", default=2000, show_default=True, help="Most bars per micro-batch.")
@click.option("--from", "start", help="Replay: a stream id, or a time (ISO 8601, UTC).")
@click.option("--idle-exit", type=float, help="Stop after this many seconds without a bar.")
@click.option("--flush-seconds", default=30.0, show_default=True, help="Lake append interval.")
@click.pass_obj
@fail_cleanly
def run(  # noqa: ANN201
    ctx,  # noqa: ANN001
    source: str,
    consumer: str | None,
    batch: int,
    start: str | None,
    idle_exit: float | None,
    flush_seconds: float,
):
    """Consume bars: rules, incremental features, online store, lake and offline tables."""
    from axiom_features.streaming.consumer import ConsumerSettings, run_consumer, start_position

    settings = ConsumerSettings(
        source=source,
        profile=ctx.profile,
        batch_size=batch,
        idle_exit_seconds=idle_exit,
        flush_seconds=flush_seconds,
        start=start_position(ctx.repo, source, start) if start else None,
        **({"consumer": consumer} if consumer else {}),
    )
    report = run_consumer(ctx.repo, settings)
    console.print(
        f"{report.bars:,} bars online in {report.batches:,} micro-batches; "
        f"{report.consumed_again:,} already consumed, {report.dead_letters:,} dead letters, "
        f"{report.gaps:,} gaps"
    )


@stream.command()
@click.option("--source", help="Bar source (default: every stream on the server).")
@click.pass_obj
@fail_cleanly
def status(ctx, source: str | None) -> None:  # noqa: ANN001
    """Lag, pending bars, bars/s, latency percentiles and dead letters, as JSON."""
    from axiom_features.paths import RepoPaths
    from axiom_features.streaming.status import known_sources, stream_status

    repo = RepoPaths(ctx.repo)
    sources = [source] if source else known_sources(repo)
    print_json([stream_status(repo, s).to_dict() for s in sources])
