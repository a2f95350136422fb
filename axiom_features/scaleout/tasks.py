"""Plain Ray tasks over batches: a bounded number in flight, results handed back as they
finish, every task's node recorded.

A task whose node dies is run again elsewhere (``max_retries``): the batch functions passed
here write their outputs atomically and deterministically, so a second run of a batch leaves
the files a single run would. An exception raised by the function itself is not retried: bad
data would fail the same way again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

RETRIES = 3
"""Runs of a task after its node or worker process died."""


@dataclass
class Placement:
    """Which node ran how many batches (node ids as Ray reports them)."""

    batches_per_node: Counter[str] = field(default_factory=Counter)

    @property
    def nodes(self) -> set[str]:
        return set(self.batches_per_node)


def _on_node(function: Callable[..., Any], args: tuple) -> tuple[str, Any]:
    import ray

    return ray.get_runtime_context().get_node_id(), function(*args)


def run_batches(
    function: Callable[..., Any],
    batches: Sequence[tuple],
    on_result: Callable[[int, Any], None],
    *,
    in_flight: int,
    memory_mb: int | None = None,
) -> Placement:
    """Run ``function(*batch)`` as one Ray task per batch, at most ``in_flight`` at a time,
    calling ``on_result(index, result)`` in the driver as tasks finish; needs a connected
    Ray (:func:`~axiom_features.scaleout.cluster.ray_session`). ``memory_mb`` reserves that
    much memory per task, so a node runs only as many as it can hold."""
    import ray

    options: dict[str, Any] = {"max_retries": RETRIES, "retry_exceptions": False}
    if memory_mb:
        options["memory"] = memory_mb * 2**20
    task = ray.remote(_on_node).options(**options)
    placement = Placement()
    running: dict[Any, int] = {}
    pending = iter(enumerate(batches))
    try:
        while True:
            for index, batch in pending:
                running[task.remote(function, batch)] = index
                if len(running) >= in_flight:
                    break
            if not running:
                return placement
            done, _ = ray.wait(list(running), num_returns=1)
            for ref in done:
                index = running.pop(ref)
                node, result = ray.get(ref)
                placement.batches_per_node[node] += 1
                on_result(index, result)
    except BaseException:
        for ref in running:
            ray.cancel(ref, force=True)
        raise
