"""The Dagster instance of a repository: run and event storage in SQLite under
``data/dagster/`` (``DAGSTER_HOME``), so no service is needed to run or inspect a pipeline."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from axiom_features.paths import RepoPaths

INSTANCE_YAML = """\
telemetry:
  enabled: false
"""


def dagster_home(root: Path) -> Path:
    return RepoPaths(root).data / "dagster"


def open_instance(root: Path) -> dg.DagsterInstance:
    """The repository's instance; its ``dagster.yaml`` is written on first use and then kept
    (an operator may point it at other storage)."""
    home = dagster_home(root)
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        tmp = config.with_suffix(".yaml.tmp")
        tmp.write_text(INSTANCE_YAML)
        tmp.replace(config)
    return dg.DagsterInstance.from_config(str(home))
