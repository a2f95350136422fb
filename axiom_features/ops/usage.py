"""Measure what a block of work costs: CPU, wall time, peak memory, I/O and storage growth."""

from __future__ import annotations

import os
import resource
import sys
import time
from dataclasses import dataclass
from pathlib import Path

_RSS_UNIT = 1 if sys.platform == "darwin" else 1024


@dataclass(frozen=True)
class Usage:
    cpu_seconds: float
    wall_seconds: float
    peak_rss_mb: float
    bytes_read: int | None
    bytes_written: int | None
    storage_growth_bytes: int | None


def folder_bytes(path: Path) -> int:
    """Total size of the regular files under ``path`` (0 when it does not exist)."""
    total = 0
    stack = [str(path)]
    while stack:
        try:
            entries = os.scandir(stack.pop())
        except (FileNotFoundError, NotADirectoryError, PermissionError):
            continue
        with entries:
            for entry in entries:
                try:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
                    elif entry.is_file(follow_symlinks=False):
                        total += entry.stat(follow_symlinks=False).st_size
                except FileNotFoundError:
                    continue  # removed while walking
    return total


def _io() -> tuple[int, int] | None:
    """Bytes read and written by this process and its waited-for children (Linux)."""
    try:
        fields = dict(line.split(": ") for line in Path("/proc/self/io").read_text().splitlines())
        return int(fields["rchar"]), int(fields["wchar"])
    except (OSError, KeyError, ValueError):
        return None


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _peak_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) * _RSS_UNIT / 2**20


class UsageMeter:
    """Started on creation; ``stop()`` returns the usage since then.

    Peak memory is the process's lifetime peak (``ru_maxrss`` cannot be reset), which is the
    job's own peak when, as with the CLI, one process runs one job.
    """

    def __init__(self, data_folder: Path | None = None) -> None:
        self.data_folder = data_folder
        self._wall = time.perf_counter()
        self._cpu = _cpu()
        self._io = _io()
        self._size = folder_bytes(data_folder) if data_folder is not None else None

    def stop(self) -> Usage:
        io = _io()
        size = folder_bytes(self.data_folder) if self.data_folder is not None else None
        return Usage(
            cpu_seconds=round(_cpu() - self._cpu, 3),
            wall_seconds=round(time.perf_counter() - self._wall, 3),
            peak_rss_mb=round(_peak_mb(), 1),
            bytes_read=None if io is None or self._io is None else io[0] - self._io[0],
            bytes_written=None if io is None or self._io is None else io[1] - self._io[1],
            storage_growth_bytes=None if size is None or self._size is None else size - self._size,
        )
