"""Service fixtures: under CI an unreachable Redis fails the test, it never skips; tests
that read a whole Redis database hold it alone."""

from __future__ import annotations

import os
import subprocess
import threading
from pathlib import Path

from tests.services import exclusive_databases, free_port, run_probe_tests

PROBE = """
from tests.services import redis_server

def test_needs_redis(tmp_path):
    with redis_server(tmp_path) as url:
        assert url
"""


def _run_probe(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run_probe_tests(PROBE, tmp_path, env)


def test_unreachable_redis_fails_under_ci(tmp_path: Path) -> None:
    dead = f"redis://127.0.0.1:{free_port()}/0"
    done = _run_probe(tmp_path, {**os.environ, "CI": "true", "AXIOM_REDIS_URL": dead})
    assert done.returncode == 1
    assert "1 failed" in done.stdout and "skipped" not in done.stdout


def test_unset_url_starts_a_throwaway_server(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "AXIOM_REDIS_URL"}
    done = _run_probe(tmp_path, {**env, "CI": "true"})
    assert done.returncode == 0, done.stdout[-2000:]
    assert "1 passed" in done.stdout


def test_exclusive_databases_are_held_by_one_test_at_a_time(redis_url: str) -> None:
    """A second holder waits until the first lets go; the lease then passes on."""
    order: list[str] = []

    def second() -> None:
        with exclusive_databases(redis_url) as urls:
            order.append(f"second {urls[0]}")

    with exclusive_databases(redis_url) as (stock, fast):
        assert stock != fast and stock.rsplit("/", 1)[0] == fast.rsplit("/", 1)[0]
        waiter = threading.Thread(target=second)
        waiter.start()
        waiter.join(timeout=1.0)
        assert waiter.is_alive(), "the second holder got databases still held"
        order.append("first done")
    waiter.join(timeout=10)
    assert order == ["first done", f"second {stock}"]
