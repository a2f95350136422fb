"""The consumer's online writes and acknowledgements, on one background thread, in order.

While micro-batch k's features travel to Redis and Redis stores them (on the other core),
the consumer already decodes and computes micro-batch k+1. Jobs run one at a time in the
order they were submitted, so a batch is acknowledged only after its features are online
and a revision lands after the rows it revises. At most ``depth`` jobs wait: a consumer
faster than Redis waits at :meth:`OrderedWriter.submit`.

A job that loses the connection is run again (writes and acknowledgements can be repeated)
for ``retry_seconds``. After that the job is held, with every job submitted after it; the
error is raised in the consumer's thread at its next :meth:`~OrderedWriter.submit` (which
has queued its job first) or :meth:`~OrderedWriter.settle`; after that the held jobs run
again, in order, at the next submit or settle, before any job submitted later. Nothing the
consumer computed is lost to an outage, however long: its state already holds those bars,
so a batch delivered again would not be written again. Any other error is raised the same
way, and the jobs after the failed one are skipped until it has been raised (the consumer
stops on such errors; the bars of skipped batches stay unacknowledged and are delivered
again to its successor).
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from collections.abc import Callable

import redis

Job = Callable[[], None]
RECONNECT_PAUSE = 0.2
"""Seconds between tries while the connection is lost (the consumer's reads wait as long)."""


def _resume() -> None:
    """Queued by a settle while jobs are held: runs them, does nothing itself."""


class OrderedWriter:
    """Runs submitted jobs on one thread, in submission order."""

    def __init__(self, retry_seconds: float, depth: int = 1) -> None:
        self.retry_seconds = retry_seconds
        self._jobs: queue.Queue[Job | None] = queue.Queue(maxsize=depth)
        self._held: deque[Job] = deque()
        """Jobs not run yet because of a lost connection, oldest first."""
        self._failure: BaseException | None = None
        """A failure not raised in the consumer's thread yet."""
        self._thread = threading.Thread(target=self._run, name="online-writer", daemon=True)
        self._thread.start()

    @property
    def held(self) -> int:
        """Jobs waiting for the connection to come back."""
        return len(self._held)

    def submit(self, job: Job) -> None:
        """Queue ``job`` after every job submitted before it; raise a failure not raised yet
        (after a lost connection ``job`` is queued first, so it is not lost)."""
        failure = self._failure
        if failure is not None and not isinstance(failure, redis.ConnectionError):
            self._raise_failure()
        self._jobs.put(job)
        self._raise_failure()

    def settle(self) -> None:
        """Wait until every submitted job has run (held jobs are run again first) or is
        held; raise a failure not raised yet."""
        if self._held and self._failure is None:
            self._jobs.put(_resume)
        self._jobs.join()
        self._raise_failure()

    def close(self) -> None:
        """Run what is queued, then stop the thread (a failure not raised yet is raised;
        held jobs are dropped: their bars were not acknowledged)."""
        if self._thread.is_alive():
            self._jobs.put(None)
            self._thread.join()
        self._raise_failure()

    def _raise_failure(self) -> None:
        failure = self._failure
        if failure is None:
            return
        self._failure = None
        raise failure

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            try:
                if job is None:
                    return
                if self._failure is not None and not isinstance(
                    self._failure, redis.ConnectionError
                ):
                    continue  # skipped until the failure is raised
                if job is not _resume:
                    self._held.append(job)
                if self._failure is None:
                    self._run_held()
            finally:
                self._jobs.task_done()

    def _run_held(self) -> None:
        """Run the held jobs in order; stop at the first that fails."""
        while self._held:
            try:
                self._retrying(self._held[0])
            except redis.ConnectionError as exc:
                self._failure = exc  # held: run again once raised
                return
            except BaseException as exc:  # raised again in the consumer's thread
                self._failure = exc
                self._held.clear()
                return
            self._held.popleft()

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
