"""PostgreSQL service fixture: under CI an unreachable server fails the test, it never skips;
without ``AXIOM_POSTGRES_URL`` a throwaway embedded server answers."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.services import free_port, run_probe_tests

PROBE = """
import psycopg
from tests.services import postgres_server, scratch_database

def test_needs_postgres(tmp_path):
    with postgres_server(tmp_path / "pg") as server, scratch_database(server) as url:
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT current_database()").fetchone()[0].startswith("axiom_test_")
"""


def _run_probe(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run_probe_tests(PROBE, tmp_path, env)


def test_unreachable_postgres_fails_under_ci(tmp_path: Path) -> None:
    dead = f"postgresql://postgres@127.0.0.1:{free_port()}/test"
    done = _run_probe(tmp_path, {**os.environ, "CI": "true", "AXIOM_POSTGRES_URL": dead})
    assert done.returncode == 1
    assert "1 failed" in done.stdout and "skipped" not in done.stdout


def test_unset_url_starts_a_throwaway_server(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "AXIOM_POSTGRES_URL"}
    done = _run_probe(tmp_path, {**env, "CI": "true"})
    assert done.returncode == 0, done.stdout[-2000:]
    assert "1 passed" in done.stdout
