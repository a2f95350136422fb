"""The consumer's ordered writer: jobs run one at a time in submission order, beside the
caller; a failed job's error reaches the caller; after a lost connection the jobs are held
and run again, in order, once the server is back; after any other error they are skipped."""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid

import pytest
import redis

from axiom_features.streaming.writer import OrderedWriter

pytestmark = pytest.mark.redis


def test_jobs_run_in_submission_order_while_the_caller_goes_on(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    key = f"writer-order-{uuid.uuid4().hex}"
    writer = OrderedWriter(retry_seconds=1.0, depth=2)
    release = threading.Event()
    writer.submit(lambda: release.wait(5))  # holds the thread until the caller lets it go
    writer.submit(lambda: client.rpush(key, 0))  # returns at once: the caller goes on
    time.sleep(0.2)
    assert client.llen(key) == 0, "a job ran before the one submitted ahead of it"
    release.set()
    for i in range(1, 50):
        writer.submit(lambda i=i: client.rpush(key, i))
    writer.settle()
    assert [int(v) for v in client.lrange(key, 0, -1)] == list(range(50))
    writer.close()
    client.delete(key)


def test_a_failed_job_is_raised_to_the_caller_and_later_jobs_are_skipped(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    key = f"writer-fail-{uuid.uuid4().hex}"
    writer = OrderedWriter(retry_seconds=1.0, depth=4)
    release = threading.Event()

    def bad() -> None:
        raise ValueError("a data error")

    writer.submit(lambda: release.wait(5))  # every job below is queued before ``bad`` runs
    writer.submit(lambda: client.rpush(key, "before"))
    writer.submit(bad)
    writer.submit(lambda: client.rpush(key, "skipped"))
    release.set()
    with pytest.raises(ValueError, match="a data error"):
        writer.settle()
    writer.submit(lambda: client.rpush(key, "after"))  # the writer goes on once it was raised
    writer.close()
    assert client.lrange(key, 0, -1) == [b"before", b"after"]
    client.delete(key)


def test_a_lost_connection_is_retried_then_raised(tmp_path) -> None:  # noqa: ANN001
    from tests.services import free_port

    dead = redis.Redis(port=free_port(), socket_connect_timeout=0.2)
    writer = OrderedWriter(retry_seconds=0.6)
    started = time.monotonic()
    writer.submit(lambda: dead.ping())
    with pytest.raises(redis.ConnectionError):
        writer.settle()
    assert time.monotonic() - started >= 0.6  # tried again for the whole window
    writer.close()


def test_jobs_held_through_an_outage_run_in_order_once_the_server_is_back(tmp_path) -> None:  # noqa: ANN001
    """An outage longer than the retry window: the error reaches the caller, and neither
    the job that failed nor any submitted after it (before or after the error was raised)
    is lost or reordered."""
    from axiom_features.streaming.server import start_embedded

    folder = tmp_path / "server"
    url = start_embedded(folder)
    client = redis.Redis.from_url(url, socket_connect_timeout=0.2)
    writer = OrderedWriter(retry_seconds=0.3, depth=2)
    try:
        writer.submit(lambda: client.rpush("jobs", 0))
        writer.settle()
        os.kill(int((folder / "redis.pid").read_text()), signal.SIGKILL)
        time.sleep(0.2)
        writer.submit(lambda: client.rpush("jobs", 1))
        raised = 0
        for i in range(2, 6):
            try:
                writer.submit(lambda i=i: client.rpush("jobs", i))
            except redis.ConnectionError:
                raised += 1
            time.sleep(0.2)
        assert raised >= 1, "the outage never reached the caller"
        assert writer.held >= 1
        start_embedded(folder)
        deadline = time.monotonic() + 30
        while True:
            try:
                writer.settle()
                break
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "the held jobs never ran"
        writer.submit(lambda: client.rpush("jobs", 6))
        writer.close()
        assert [int(v) for v in client.lrange("jobs", 0, -1)] == list(range(7))
        assert writer.held == 0
    finally:
        try:
            redis.Redis.from_url(url).shutdown(nosave=True)
        except redis.ConnectionError:
            pass
