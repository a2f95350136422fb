"""The consumer's online writes and acknowledgements, on one background thread, in order.

While micro-batch k's features travel to Redis and Redis stores them (on the other core),
the consumer already decodes and computes micro-batch k+1. Jobs run one at a time in the
order they were submitted, so a batch is acknowledged only after its features are online
and a revision lands after the rows it revises. At most ``depth`` jobs wait: a consumer
faster than Redis waits at :meth:`OrderedWriter.submit`.

A job that loses the connection is run again (writes and acknowledgements can be repeated)
for ``retry_seconds``; after that, or on any other error, the jobs after it are skipped and
the error is raised in the consumer's thread at its next :meth:`~OrderedWriter.submit` or
:meth:`~OrderedWriter.settle` (skipped batches stay unacknowledged: they are delivered
again).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable

import redis

Job = Callable[[], None]
RECONNECT_PAUSE = 0.2
"""Seconds between tries while the connection is lost (the consumer's reads wait as long)."""


class OrderedWriter:
    """Runs submitted jobs on one thread, in submission order."""

    def __init__(self, retry_seconds: float, depth: int = 1) -> None:
        self.retry_seconds = retry_seconds
        self._jobs: queue.Queue[Job | None] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="online-writer", daemon=True)
        self._thread.start()

    def submit(self, job: Job) -> None:
        """Queue ``job`` after every job submitted before it; raise a failed job's error."""
        self._raise_failure()
        self._jobs.put(job)

    def settle(self) -> None:
        """Wait until every submitted job has run; raise a failed job's error."""
        self._jobs.join()
        self._raise_failure()

    def close(self) -> None:
        """Run what is queued, then stop the thread (a failed job's error is raised)."""
        if self._thread.is_alive():
            self._jobs.put(None)
            self._thread.join()
        self._raise_failure()

    def _raise_failure(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            try:
                if job is None:
                    return
                if self._error is None:
                    self._retrying(job)
            except BaseException as exc:  # raised again in the consumer's thread
                self._error = exc
            finally:
                self._jobs.task_done()

    def _retrying(self, job: Job) -> None:
        lost_since: float | None = None
        while True:
            try:
                job()
                return
            except redis.ConnectionError:
                now = time.monotonic()
                lost_since = lost_since or now
                if now - lost_since > self.retry_seconds:
                    raise
                time.sleep(RECONNECT_PAUSE)
