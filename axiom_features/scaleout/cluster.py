"""A Ray connection for the length of one job, with CPU and object-store memory capped.

A driver already connected (``ray.init`` by the caller) is used as it is and left connected.
Otherwise the job connects to ``settings.address`` or starts a local Ray holding
``num_cpus`` CPUs and ``object_store_mb`` of object store (Ray takes every core and about a
third of the memory when asked for nothing), and disconnects at the end.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from axiom_features.scaleout.settings import ComputeSettings


@contextmanager
def ray_session(settings: ComputeSettings) -> Iterator[None]:
    """Connected to Ray inside the block."""
    import ray

    if ray.is_initialized():
        yield
        return
    if settings.address:
        try:
            ray.init(address=settings.address, logging_level=logging.WARNING, log_to_driver=False)
        except ConnectionError as exc:
            if _refused_token(exc):
                raise ConnectionError(
                    f"Ray cluster at {settings.address} refused this driver's token: set "
                    "RAY_AUTH_MODE=token and the cluster's token (RAY_AUTH_TOKEN or "
                    "~/.ray/auth_token)"
                ) from exc
            raise
    else:
        ray.init(
            num_cpus=settings.num_cpus,
            object_store_memory=settings.object_store_mb * 2**20,
            include_dashboard=False,
            logging_level=logging.WARNING,
            log_to_driver=False,
        )
    try:
        yield
    finally:
        ray.shutdown()


def _refused_token(exc: BaseException) -> bool:
    """Whether a failed connection was the cluster refusing the driver's token."""
    seen: BaseException | None = exc
    while seen is not None:
        if type(seen).__name__ == "AuthenticationError" or "InvalidAuthToken" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def cluster_cpus() -> int:
    """CPUs the connected cluster offers (at least 1)."""
    import ray

    return max(1, int(ray.cluster_resources().get("CPU", 1)))
