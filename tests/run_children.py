"""Child processes for fault tests: real jobs in their own interpreter, killed with SIGKILL.

A child runs a short Python script (importing only what it needs) from the repo root; the
script may kill itself at a chosen point with ``os.kill(os.getpid(), SIGKILL)`` — the same
signal as ``kill -9`` from outside, at a moment a test can name.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil

REPO_ROOT = Path(__file__).resolve().parents[1]

KILL_SELF = "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"


def run_child(script: str, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """Run ``script`` (dedented) in a fresh interpreter with ``args`` as ``sys.argv[1:]``."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script), *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )


def start_child(script: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script), *args],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )


def killed(result: subprocess.CompletedProcess[str] | subprocess.Popen[str]) -> bool:
    return result.returncode == -signal.SIGKILL


def processes_mentioning(marker: str) -> list[psutil.Process]:
    """Live processes whose command line or working directory mentions ``marker``."""
    found = []
    for proc in psutil.process_iter(["pid", "cmdline", "status"]):
        try:
            if proc.info["status"] == psutil.STATUS_ZOMBIE:
                continue
            text = " ".join(proc.info["cmdline"] or [])
            if marker in text:
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


def children_gone(pids: list[int], within: float = 10.0) -> bool:
    """Whether every process in ``pids`` has exited within ``within`` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        alive = [p for p in pids if psutil.pid_exists(p) and _not_zombie(p)]
        if not alive:
            return True
        time.sleep(0.2)
    return False


def _not_zombie(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
