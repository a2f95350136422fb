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
        ray.init(address=settings.address, logging_level=logging.WARNING, log_to_driver=False)
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


def cluster_cpus() -> int:
    """CPUs the connected cluster offers (at least 1)."""
    import ray

    return max(1, int(ray.cluster_resources().get("CPU", 1)))
