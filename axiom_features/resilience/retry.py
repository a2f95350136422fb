"""Bounded retries with exponential backoff, for transient connection errors only."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from axiom_features.resilience.errors import describe, is_transient

T = TypeVar("T")

logger = logging.getLogger(__name__)

ATTEMPTS = 3
"""Tries in all (the first and two retries)."""
FIRST_DELAY = 0.5
"""Seconds before the first retry; doubled before each next one."""


def retrying(
    action: Callable[[], T],
    *,
    attempts: int = ATTEMPTS,
    first_delay: float = FIRST_DELAY,
    what: str = "job",
) -> T:
    """``action()``, retried after a transient connection error up to ``attempts`` tries in
    all; any other error, or the last transient one, is raised unchanged."""
    delay = first_delay
    for attempt in range(1, attempts + 1):
        try:
            return action()
        except Exception as exc:
            if attempt == attempts or not is_transient(exc):
                raise
            logger.warning(
                "%s: %s; retry %d of %d in %.1f s",
                what, describe(exc), attempt, attempts - 1, delay,
            )  # fmt: skip
            time.sleep(delay)
            delay *= 2
    raise AssertionError("unreachable")  # pragma: no cover
