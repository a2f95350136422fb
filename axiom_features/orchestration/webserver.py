"""``axiom pipeline ui``: Dagster's web UI over the repository's code location and instance."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from axiom_features.orchestration.instance import (
    dagster_home,
    instance_environment,
    open_instance,
)
from axiom_features.orchestration.location import PROFILE_VARIABLE, REPO_VARIABLE

LOCATION_MODULE = "axiom_features.orchestration.location"


def webserver_command(host: str, port: int) -> list[str]:
    """The ``dagster-webserver`` command line serving the code location on ``host:port``."""
    found = shutil.which("dagster-webserver", path=str(Path(sys.executable).parent))
    program = [found] if found else [sys.executable, "-m", "dagster_webserver"]
    return [*program, "-h", host, "-p", str(port), "-m", LOCATION_MODULE]


def webserver_environment(root: Path, profile: str) -> dict[str, str]:
    """The environment the webserver and its code server read the repository from."""
    open_instance(root, profile)  # writes dagster.yaml on first use
    return {
        **os.environ,
        **instance_environment(profile),
        REPO_VARIABLE: str(root.resolve()),
        PROFILE_VARIABLE: profile,
        "DAGSTER_HOME": str(dagster_home(root, profile)),
    }


def serve_ui(
    root: Path, profile: str = "default", *, host: str = "127.0.0.1", port: int = 3000
) -> int:
    """Run the Dagster UI until it exits, or until this process is interrupted or terminated
    (the webserver is stopped with it); returns its exit code."""
    process = subprocess.Popen(
        webserver_command(host, port), env=webserver_environment(root, profile), cwd=root
    )

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        return process.wait()
    except KeyboardInterrupt:
        process.terminate()
        try:
            return process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            return process.wait()
    finally:
        signal.signal(signal.SIGTERM, previous)
