"""The consumer's ordered writer: jobs run one at a time in submission order, beside the
caller; a failed job's error reaches the caller and the jobs after it are skipped."""

from __future__ import annotations

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
    writer = OrderedWriter(retry_seconds=1.0)

    def bad() -> None:
        raise ValueError("a data error")

    writer.submit(lambda: client.rpush(key, "before"))
    writer.submit(bad)
    writer.submit(lambda: client.rpush(key, "skipped"))
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
