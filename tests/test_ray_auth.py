"""A cluster started by ``ray start`` with token authentication: a driver with the token runs
work on it; one without is refused with a one-line reason that says what to set."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

RAY = str(Path(sys.executable).with_name("ray"))

DRIVER = textwrap.dedent(
    """
    import sys
    import ray
    from axiom_features.scaleout.cluster import ray_session
    from axiom_features.scaleout.settings import ComputeSettings

    try:
        with ray_session(ComputeSettings(engine="ray", address=sys.argv[1])):
            print("sum", ray.get(ray.remote(lambda: sum(range(10))).remote()))
    except ConnectionError as exc:
        print("refused", exc)
        sys.exit(3)
    """
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _ip() -> str:
    import ray

    return ray.util.get_node_ip_address()


@pytest.fixture(scope="module")
def token_cluster(tmp_path_factory) -> Iterator[tuple[str, str]]:
    """A one-node cluster in token mode; yields its address and token."""
    token = secrets.token_hex(32)
    address = f"{_ip()}:{_free_port()}"
    env = {**os.environ, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": token}
    temp = tmp_path_factory.mktemp("ray")
    node = subprocess.Popen(
        [
            RAY,
            "start",
            "--head",
            "--block",
            f"--port={address.rsplit(':', 1)[1]}",
            "--num-cpus=1",
            "--include-dashboard=false",
            "--disable-usage-stats",
            f"--temp-dir={temp}",
            "--object-store-memory=78643200",
        ],  # fmt: skip
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with socket.create_connection(tuple(address.rsplit(":", 1)), timeout=1):  # type: ignore[arg-type]
                    break
            except OSError:
                assert node.poll() is None, "the Ray head did not start"
                assert time.monotonic() < deadline, "the Ray head did not listen in time"
                time.sleep(0.5)
        yield address, token
    finally:
        os.killpg(node.pid, 15)
        try:
            node.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(node.pid, 9)
            node.wait()


def _drive(address: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("RAY_AUTH")}
    return subprocess.run(
        [sys.executable, "-c", DRIVER, address],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_driver_with_the_token_runs_tasks_on_the_cluster(token_cluster):
    address, token = token_cluster
    done = _drive(address, RAY_AUTH_MODE="token", RAY_AUTH_TOKEN=token)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "sum 45" in done.stdout


def test_a_driver_without_the_token_is_refused_with_what_to_set(token_cluster):
    address, _ = token_cluster
    # three connection attempts instead of Ray's twenty: each is refused the same way
    done = _drive(address, RAY_AUTH_MODE="disabled", RAY_gcs_server_port_wait_time_s="3")
    assert done.returncode == 3, done.stdout + done.stderr[-2000:]
    line = done.stdout.strip().splitlines()[-1]
    assert line.startswith(f"refused Ray cluster at {address} refused this driver's token")
    assert "RAY_AUTH_MODE=token" in line
