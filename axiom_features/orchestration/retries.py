"""Retries for transient failures only: exponential backoff with jitter, never a data error.

A transient failure is a service that did not answer (Redis, PostgreSQL: the platform's own
classification in :mod:`axiom_features.resilience.errors`) or a worker process that died
under the step. Anything else (a blocked batch, a bad file, a bug) fails the step at once.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

import dagster as dg

from axiom_features.resilience.errors import chain, describe, is_transient

T = TypeVar("T")

MAX_RETRIES = 4
"""Retries after the first try."""
FIRST_DELAY = 1.0
"""Seconds before the first retry; doubled before each next one."""
MAX_DELAY = 60.0
JITTER = 0.5
"""Each delay is drawn uniformly within ± this share of itself."""


def is_transient_failure(exc: BaseException) -> bool:
    """Whether a retry may succeed: an unreachable service or a killed worker process."""
    return is_transient(exc) or any(isinstance(e, BrokenProcessPool) for e in chain(exc))


def backoff_seconds(retry_number: int, rng: random.Random | None = None) -> float:
    """The wait before retry ``retry_number + 1``: ``FIRST_DELAY · 2^n`` (capped), jittered."""
    base = min(FIRST_DELAY * 2**retry_number, MAX_DELAY)
    return base * (1 + JITTER * (2 * (rng or random).random() - 1))


def retry_transient(
    context: dg.OpExecutionContext | dg.AssetExecutionContext,
    action: Callable[[], T],
    *,
    max_retries: int = MAX_RETRIES,
) -> T:
    """``action()``; a transient failure asks Dagster to run the step again after a backoff,
    any other failure is raised unchanged (no retry)."""
    try:
        return action()
    except Exception as exc:
        if not is_transient_failure(exc) or context.retry_number >= max_retries:
            raise
        wait = backoff_seconds(context.retry_number)
        context.log.warning(
            f"transient failure, retry {context.retry_number + 1} of {max_retries} in "
            f"{wait:.1f} s: {describe(exc)}"
        )
        raise dg.RetryRequested(max_retries=max_retries, seconds_to_wait=wait) from exc
