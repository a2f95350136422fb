"""The module Dagster loads (``dagster-webserver -m axiom_features.orchestration.location``,
``dagster-daemon``): the definitions of the repository named by ``AXIOM_REPO`` under
``AXIOM_PROFILE``."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import dagster as dg

from axiom_features.orchestration.assets import Settings
from axiom_features.orchestration.definitions import DAILY_JOB, build_definitions

REPO_VARIABLE = "AXIOM_REPO"
PROFILE_VARIABLE = "AXIOM_PROFILE"
WORKERS_VARIABLE = "AXIOM_PIPELINE_WORKERS"


def settings_from_environment() -> Settings:
    return Settings(
        root=Path(os.environ.get(REPO_VARIABLE, ".")).resolve(),
        profile=os.environ.get(PROFILE_VARIABLE, "default"),
        workers=int(os.environ.get(WORKERS_VARIABLE, "1")),
    )


@lru_cache(maxsize=4)
def definitions_of(settings: Settings) -> dg.Definitions:
    """The definitions of one repository and profile, built once per process."""
    return build_definitions(settings)


@dg.definitions
def defs() -> dg.Definitions:
    return definitions_of(settings_from_environment())


def daily_update_job() -> dg.JobDefinition:
    """The daily job of the repository the environment names (what ``reconstructable``
    points at)."""
    return definitions_of(settings_from_environment()).resolve_job_def(DAILY_JOB)
