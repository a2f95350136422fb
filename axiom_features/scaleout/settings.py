"""Which engine runs a job, read from the profile's ``feature_store.yaml`` and the environment.

``feature_store.yaml`` (Feast keeps unknown top-level blocks)::

    compute:
      engine: ray              # local (default) | ray
      address: ray://head:10001  # an existing cluster; omitted: a local Ray is started
      num_cpus: 2              # CPUs of a Ray started here (Ray takes every core otherwise)
      object_store_mb: 512     # object-store memory of a Ray started here
      min_symbols: 64          # smaller jobs run locally: start-up would cost more than it saves
      batch_size: 25           # symbols per Ray task
      min_entity_rows: 200000  # smaller point-in-time retrievals are joined locally
      partition_mb: 64         # largest result a retrieval partition sends back

The environment wins over the file: ``AXIOM_COMPUTE`` (``local``/``ray``), ``RAY_ADDRESS``,
``AXIOM_RAY_CPUS``, ``AXIOM_RAY_OBJECT_STORE_MB``, ``AXIOM_RAY_MIN_SYMBOLS``,
``AXIOM_RAY_MIN_ENTITY_ROWS``. Feast keeps the block on its ``RepoConfig``, so a store can
read it there (:func:`settings_from_block`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

ENGINES = ("local", "ray")


@dataclass(frozen=True)
class ComputeSettings:
    """How jobs are executed; ``local`` unless configured otherwise."""

    engine: str = "local"
    address: str | None = None
    """Address of an existing Ray cluster; None starts a local Ray with the caps below."""
    num_cpus: int = 2
    object_store_mb: int = 512
    min_symbols: int = 64
    """Jobs over fewer symbols (or entity partitions) run locally."""
    batch_size: int = 25
    min_entity_rows: int = 200_000
    """Point-in-time retrievals with fewer entity rows are joined locally."""
    partition_mb: int = 64
    """Largest result (feature values) one retrieval partition returns to the driver."""

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise ValueError(
                f"compute engine must be one of {', '.join(ENGINES)}, got {self.engine!r}"
            )
        for name in ("num_cpus", "object_store_mb", "batch_size", "partition_mb"):
            if getattr(self, name) < 1:
                raise ValueError(f"compute {name} must be >= 1, got {getattr(self, name)}")

    def uses_ray(self, units: int) -> bool:
        """Whether a job of ``units`` symbols is worth sending to Ray."""
        return self.engine == "ray" and units >= self.min_symbols


_ENV = {
    "AXIOM_COMPUTE": ("engine", str),
    "RAY_ADDRESS": ("address", str),
    "AXIOM_RAY_CPUS": ("num_cpus", int),
    "AXIOM_RAY_OBJECT_STORE_MB": ("object_store_mb", int),
    "AXIOM_RAY_MIN_SYMBOLS": ("min_symbols", int),
    "AXIOM_RAY_MIN_ENTITY_ROWS": ("min_entity_rows", int),
}


_VARIABLE = re.compile(r"\$\{(\w+)\}")


def _file_block(config_file: Path | None, environ: Mapping[str, str]) -> Any:
    """The ``compute:`` block, ``${NAME}`` replaced from ``environ`` (unset: left out)."""
    if config_file is None or not config_file.is_file():
        return {}
    text = _VARIABLE.sub(lambda m: environ.get(m.group(1), ""), config_file.read_text())
    return (yaml.safe_load(text) or {}).get("compute") or {}


def compute_settings(
    config_file: Path | None = None, environ: Mapping[str, str] | None = None
) -> ComputeSettings:
    """The settings of ``config_file``'s ``compute:`` block, overridden by the environment."""
    environ = os.environ if environ is None else environ
    return settings_from_block(_file_block(config_file, environ), environ, str(config_file))


def settings_from_block(
    block: Any, environ: Mapping[str, str] | None = None, where: str = "compute"
) -> ComputeSettings:
    """The settings of a ``compute:`` mapping (a variable left unexpanded counts as unset),
    overridden by the environment."""
    environ = os.environ if environ is None else environ
    if not isinstance(block, Mapping):
        raise ValueError(f"{where}: 'compute' must be a mapping")
    values = {
        k: v
        for k, v in block.items()
        if v not in (None, "") and not (isinstance(v, str) and _VARIABLE.fullmatch(v))
    }
    unknown = set(values) - set(ComputeSettings.__dataclass_fields__)
    if unknown:
        raise ValueError(f"{where}: unknown compute setting(s): {', '.join(sorted(unknown))}")
    settings = ComputeSettings(**values)
    for variable, (name, kind) in _ENV.items():
        raw = environ.get(variable, "").strip()
        if raw:
            try:
                settings = replace(settings, **{name: kind(raw)})
            except ValueError as error:
                raise ValueError(f"{variable}={raw!r}: {error}") from None
    return settings
