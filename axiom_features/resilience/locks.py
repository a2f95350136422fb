"""Job locks: one lock file per repo and name (``view:<name>``, ``registry``), held with
``flock`` so a crashed holder releases it. A second job waits up to ``wait`` seconds, then
refuses with a line naming who holds the lock."""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path

POLL_SECONDS = 0.2


class JobBusy(RuntimeError):
    """Another job holds a lock this job needs."""


def lock_path(folder: Path, name: str) -> Path:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    return folder / f"{safe}.lock"


def _holder_of(path: Path) -> str:
    try:
        info = json.loads(path.read_text() or "{}")
    except (OSError, ValueError):
        return "another job"
    who = info.get("job", "another job")
    return f"{who} (pid {info.get('pid')}, since {info.get('since', '?')[:19]})"


@contextmanager
def _one_lock(folder: Path, name: str, holder: str, wait: float) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    path = lock_path(folder, name)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + wait
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise JobBusy(
                        f"{holder} refused in {folder.parent.parent}: {name} is locked by "
                        f"{_holder_of(path)}; retry when it ends"
                    ) from None
                time.sleep(POLL_SECONDS)
        stamp = {"job": holder, "pid": os.getpid(), "since": datetime.now(UTC).isoformat()}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(stamp).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the flock


@contextmanager
def job_locks(
    folder: Path, names: Iterable[str], *, holder: str, wait: float = 0.0
) -> Iterator[None]:
    """Hold the locks ``names`` under ``folder`` (taken in sorted order, so two jobs never
    deadlock); waits up to ``wait`` seconds in all, then raises :class:`JobBusy`."""
    deadline = time.monotonic() + wait
    with ExitStack() as stack:
        for name in sorted(set(names)):
            left = max(0.0, deadline - time.monotonic())
            stack.enter_context(_one_lock(folder, name, holder, left))
        yield
