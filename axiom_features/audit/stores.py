"""Where the log lives: a local file (default profile) or a PostgreSQL table (production).

Both keep the same lines (``<leaf hash> <body>``) and a signed head; appends are serialised
(a file lock, a row lock) so two jobs never write the same position.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Protocol

from axiom_features.audit.head import EMPTY_HEAD, Head


class AuditStore(Protocol):
    def lines(self) -> Iterator[bytes]:
        """Every stored line in log order, as stored."""

    def head(self) -> Head | None:
        """The signed head, or None when nothing was ever written."""

    def locked(self) -> AbstractContextManager[None]:
        """Exclusive access for one append."""

    def append(self, lines: list[bytes], head: Head) -> None:
        """Add ``lines`` after the current last line and store ``head`` (inside ``locked``)."""


class FileAuditStore:
    """``<folder>/audit.log`` (one line per entry) and ``<folder>/head.json``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.log_path = folder / "audit.log"
        self.head_path = folder / "head.json"

    def lines(self) -> Iterator[bytes]:
        if not self.log_path.exists():
            return
        with self.log_path.open("rb") as handle:
            for raw in handle:
                yield raw[:-1] if raw.endswith(b"\n") else raw

    def head(self) -> Head | None:
        if not self.head_path.exists():
            return None
        return Head(**json.loads(self.head_path.read_text()))

    @contextmanager
    def locked(self) -> Iterator[None]:
        self.folder.mkdir(parents=True, exist_ok=True)
        with (self.folder / ".lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def append(self, lines: list[bytes], head: Head) -> None:
        with self.log_path.open("ab") as handle:
            handle.write(b"".join(item + b"\n" for item in lines))
            handle.flush()
            os.fsync(handle.fileno())
        tmp = self.head_path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(head.to_dict()))
        os.replace(tmp, self.head_path)


class PostgresAuditStore:
    """Tables ``axiom_audit_log (seq, line)`` and ``axiom_audit_head`` in one database."""

    def __init__(self, url: str, table: str = "axiom_audit_log") -> None:
        self.url = url
        self.table = table
        self._conn = None

    def _connection(self):  # noqa: ANN202 - psycopg.Connection
        import psycopg

        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(self.url, autocommit=False)
            with self._conn.cursor() as cur:
                cur.execute(
                    f"CREATE TABLE IF NOT EXISTS {self.table} "
                    "(seq bigint PRIMARY KEY, line bytea NOT NULL)"
                )
                cur.execute(
                    f"CREATE TABLE IF NOT EXISTS {self.table}_head "
                    "(id int PRIMARY KEY, head jsonb NOT NULL)"
                )
            self._conn.commit()
        return self._conn

    def lines(self) -> Iterator[bytes]:
        conn = self._connection()
        with conn.cursor(name="audit_lines") as cur:
            cur.itersize = 10_000
            cur.execute(f"SELECT line FROM {self.table} ORDER BY seq")
            for (value,) in cur:
                yield bytes(value)
        conn.commit()

    def head(self) -> Head | None:
        conn = self._connection()
        with conn.cursor() as cur:
            cur.execute(f"SELECT head FROM {self.table}_head WHERE id = 1")
            row = cur.fetchone()
        conn.commit()
        return Head(**row[0]) if row else None

    @contextmanager
    def locked(self) -> Iterator[None]:
        conn = self._connection()
        with conn.cursor() as cur:
            cur.execute(f"LOCK TABLE {self.table}_head IN EXCLUSIVE MODE")
        try:
            yield
        except BaseException:
            conn.rollback()
            raise

    def append(self, lines: list[bytes], head: Head) -> None:
        conn = self._connection()
        start = head.size - len(lines)
        with conn.cursor() as cur:
            cur.executemany(
                f"INSERT INTO {self.table} (seq, line) VALUES (%s, %s)",
                [(start + i, item) for i, item in enumerate(lines)],
            )
            cur.execute(
                f"INSERT INTO {self.table}_head (id, head) VALUES (1, %s) "
                "ON CONFLICT (id) DO UPDATE SET head = EXCLUDED.head",
                (json.dumps(head.to_dict()),),
            )
        conn.commit()

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()


def current_head(store: AuditStore) -> Head:
    return store.head() or EMPTY_HEAD
