"""One-line descriptions of failures: ``<what> <where>: <reason>``, with secrets masked.

:func:`describe` walks an exception's chain (``__cause__`` / ``__context__``) to the most
telling known failure (Redis, PostgreSQL, an unreadable Parquet file, a malformed service
URL) and names it; anything else is described by its own first line.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][\w+.-]*://)(?P<user>[^:/@\s]*):(?P<secret>[^@\s/]*)@")
_PASSWORD_KEY = re.compile(r"(?i)(password\s*=\s*)('[^']*'|\S+)")
_PARQUET_PATH = re.compile(r"""['"]([^'"]+\.parquet)['"]""")


class ServiceError(RuntimeError):
    """A failure already phrased as ``<what> <where>: <reason>``."""


def mask_secrets(text: str) -> str:
    """``text`` with URL passwords and ``password=`` values replaced by ``***``."""
    text = _USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:***@", text)
    return _PASSWORD_KEY.sub(lambda m: f"{m[1]}***", text)


def chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and every exception it was raised from or while handling, outermost first."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0].strip() if text else type(exc).__name__


def _where(env_name: str, address: str | None, fallback: str) -> str:
    """The service's URL from ``env_name`` (masked) when it names ``address`` (or the error
    names none), else the address the error names: the store may be configured elsewhere."""
    from urllib.parse import urlsplit

    value = os.environ.get(env_name)
    if value:
        try:
            parts = urlsplit(value)
            configured = f"{parts.hostname}:{parts.port}"
        except ValueError:
            configured = None
        if address is None or configured == address:
            return mask_secrets(value)
    return address or fallback


def _is_redis_connection(exc: BaseException) -> bool:
    module = type(exc).__module__
    names = {t.__name__ for t in type(exc).__mro__}
    return module.startswith("redis") and bool(names & {"ConnectionError", "TimeoutError"})


def _is_postgres_connection(exc: BaseException) -> bool:
    module = type(exc).__module__
    return module.startswith("psycopg") and type(exc).__name__ == "OperationalError"


def _is_parquet_unreadable(exc: BaseException) -> bool:
    text = str(exc)
    return (
        type(exc).__module__.startswith(("pyarrow", "_duckdb", "duckdb"))
        and ".parquet" in text
        and any(k in text for k in ("magic bytes", "too small", "corrupt", "Parquet file size"))
    )


def _postgres_reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    failed = re.search(r"failed: (.+?)(?: Is the server running|$)", text)
    return failed[1].strip() if failed else _first_line(exc)


def known_failure(exc: BaseException) -> tuple[str, str, str] | None:
    """``(what, where, reason)`` of the first well-known failure in ``exc``'s chain."""
    for item in chain(exc):
        if isinstance(item, ServiceError):
            return None
        if _is_redis_connection(item):
            found = re.search(r"connecting to (\S+?)\.?(?:\s|$)", str(item))
            where = _where("AXIOM_REDIS_URL", found[1] if found else None, "(redis)")
            return "Redis unreachable", f"at {where}", _first_line(item)
        if _is_postgres_connection(item):
            found = re.search(r'server at "([^"]+)", port (\d+)', str(item))
            address = f"{found[1]}:{found[2]}" if found else None
            where = _where("AXIOM_POSTGRES_URL", address, "(postgresql)")
            return "PostgreSQL unreachable", f"at {where}", _postgres_reason(item)
        if _is_parquet_unreadable(item):
            found = _PARQUET_PATH.search(str(item))
            where = found[1] if found else "(parquet)"
            reason = _first_line(item).split(": ", 1)[-1] if found else _first_line(item)
            return "unreadable offline file", where, reason.replace(f"'{where}'", "").strip()
    return None


def describe(exc: BaseException) -> str:
    """``<what> <where>: <reason>`` for ``exc``, one line, secrets masked."""
    for item in chain(exc):
        if isinstance(item, ServiceError):
            return mask_secrets(_first_line(item))
    found = known_failure(exc)
    if found is not None:
        what, where, reason = found
        return mask_secrets(f"{what} {where}: {reason}")
    return mask_secrets(_first_line(exc))


def is_transient(exc: BaseException) -> bool:
    """Whether ``exc`` (or what it wraps) is a connection failure worth retrying."""
    return any(_is_redis_connection(e) or _is_postgres_connection(e) for e in chain(exc))
