"""The Dagster instance of a repository under a profile.

The default profile keeps run, event and schedule storage in SQLite under
``data/dagster/`` (``DAGSTER_HOME``), so no service is needed to run or inspect a
pipeline. The production profile keeps them in the PostgreSQL database of
``AXIOM_POSTGRES_URL`` (``dagster-postgres``), its home under ``data/dagster/production/``
holding only the configuration, so every node and the UI see the same runs."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import dagster as dg

from axiom_features.paths import RepoPaths

POSTGRES_URL_VARIABLE = "AXIOM_DAGSTER_POSTGRES_URL"
"""The instance's PostgreSQL URL, derived from ``AXIOM_POSTGRES_URL`` with the psycopg2
driver named (``dagster-postgres`` binds ``NOTIFY`` parameters client-side, which psycopg 3,
SQLAlchemy's default driver since 2.1, does not)."""

INSTANCE_YAML = """\
telemetry:
  enabled: false
"""

POSTGRES_INSTANCE_YAML = f"""\
telemetry:
  enabled: false
storage:
  postgres:
    postgres_url:
      env: {POSTGRES_URL_VARIABLE}
"""


def dagster_home(root: Path, profile: str = "default") -> Path:
    base = RepoPaths(root).data / "dagster"
    return base if profile == "default" else base / profile


def instance_environment(profile: str) -> dict[str, str]:
    """Variables the instance of ``profile`` reads (the production storage URL)."""
    if profile == "default":
        return {}
    url = os.environ.get("AXIOM_POSTGRES_URL", "")
    if not url:
        raise ValueError(f"profile '{profile}': AXIOM_POSTGRES_URL is not set (Dagster storage)")
    scheme, sep, rest = url.partition("://")
    return {POSTGRES_URL_VARIABLE: f"{scheme.split('+')[0]}+psycopg2{sep}{rest}"}


def open_instance(root: Path, profile: str = "default") -> dg.DagsterInstance:
    """The repository's instance under ``profile``; its ``dagster.yaml`` is written on first
    use and then kept (an operator may point it at other storage)."""
    home = dagster_home(root, profile)
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        tmp = config.with_suffix(".yaml.tmp")
        tmp.write_text(INSTANCE_YAML if profile == "default" else POSTGRES_INSTANCE_YAML)
        tmp.replace(config)
    os.environ.update(instance_environment(profile))
    with warnings.catch_warnings():
        # dagster-postgres is released one patch behind dagster; same storage schema
        warnings.filterwarnings("ignore", message="Found version mismatch", category=UserWarning)
        return dg.DagsterInstance.from_config(str(home))
