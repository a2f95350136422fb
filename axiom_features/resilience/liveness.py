"""Is a process alive, and is it still the process we think it is (PIDs are reused)?

Also: make a worker process die with its parent (Linux ``PR_SET_PDEATHSIG``; elsewhere a
watchdog thread that exits when the parent is gone).
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import threading
import time
from pathlib import Path

PR_SET_PDEATHSIG = 1


def host_name() -> str:
    return socket.gethostname()


def process_start(pid: int) -> str | None:
    """An identity of process ``pid``'s start (boot id and start tick on Linux), else None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    ticks = stat.rpartition(")")[2].split()[19]  # field 22: starttime
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        boot = ""
    return f"{boot}:{ticks}"


def pid_alive(pid: int, start: str | None = None) -> bool:
    """Whether ``pid`` runs (and, when ``start`` is given, is the same process as then).

    A zombie (exited, not yet reaped) counts as gone.
    """
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
        if state in ("Z", "X"):
            return False
    except OSError:
        pass
    return start is None or process_start(pid) in (None, start)


def die_with_parent(parent: int | None = None) -> None:
    """Have the kernel kill this process when its parent dies (or exit at once if the parent
    is already gone); where ``prctl`` is missing, a watchdog thread does the same."""
    parent = parent or os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl failed")
    except (OSError, AttributeError):
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def _watch_parent(parent: int, every: float = 1.0) -> None:
    while os.getppid() == parent:
        time.sleep(every)
    os._exit(1)
