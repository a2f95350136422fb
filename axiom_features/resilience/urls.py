"""Service URLs from the environment, checked before anything connects.

``postgres://`` (Heroku style) is accepted as ``postgresql://``; a malformed URL is reported
in one line with its password masked.
"""

from __future__ import annotations

import os
import re
from collections.abc import MutableMapping
from urllib.parse import urlsplit

from axiom_features.resilience.errors import ServiceError, mask_secrets

REDIS_SCHEMES = ("redis", "rediss", "unix")
POSTGRES_SCHEMES = ("postgresql", "postgresql+psycopg")


def _referenced(text: str) -> set[str]:
    return set(re.findall(r"\$\{?(AXIOM_[A-Z_]+)\}?", text))


def _port_problem(url: str) -> str | None:
    try:
        _ = urlsplit(url).port
    except ValueError as exc:
        return str(exc)
    return None


def check_redis_url(url: str) -> None:
    scheme = urlsplit(url).scheme
    if scheme not in REDIS_SCHEMES:
        raise ServiceError(
            f"malformed AXIOM_REDIS_URL {mask_secrets(url)}: scheme must be one of "
            f"{', '.join(s + '://' for s in REDIS_SCHEMES)}"
        )
    problem = _port_problem(url)
    if problem or (scheme != "unix" and not urlsplit(url).hostname):
        raise ServiceError(f"malformed AXIOM_REDIS_URL {mask_secrets(url)}: {problem or 'no host'}")


def normalized_postgres_url(url: str) -> str:
    """``url`` with ``postgres://`` spelled ``postgresql://``; malformed URLs raise."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    scheme = urlsplit(url).scheme
    if scheme not in POSTGRES_SCHEMES:
        raise ServiceError(
            f"malformed AXIOM_POSTGRES_URL {mask_secrets(url)}: scheme must be postgresql:// "
            "or postgres://"
        )
    problem = _port_problem(url)
    if problem or not urlsplit(url).hostname:
        raise ServiceError(
            f"malformed AXIOM_POSTGRES_URL {mask_secrets(url)}: {problem or 'no host'}"
        )
    return url


def check_service_urls(config_text: str, env: MutableMapping[str, str] = os.environ) -> None:
    """Check the service URLs a ``feature_store.yaml`` text refers to; a ``postgres://``
    URL is rewritten in ``env`` so every client (SQLAlchemy too) accepts it."""
    names = _referenced(config_text)
    for name in sorted(names):
        if name in ("AXIOM_REDIS_URL", "AXIOM_POSTGRES_URL") and not env.get(name):
            raise ServiceError(f"missing {name}: the profile's feature_store.yaml needs it")
    if "AXIOM_REDIS_URL" in names:
        check_redis_url(env["AXIOM_REDIS_URL"])
    if "AXIOM_POSTGRES_URL" in names:
        env["AXIOM_POSTGRES_URL"] = normalized_postgres_url(env["AXIOM_POSTGRES_URL"])
