"""The code location: assets, jobs, the schedule and the sensor of one repository."""

from __future__ import annotations

import dagster as dg

from axiom_features.orchestration.assets import LAKES, Settings, build_assets, lake_key
from axiom_features.orchestration.triggers import inbox_sensor, session_schedule

DAILY_JOB = "daily_update"
"""Ingest → transform → materialize → drift of one session."""
IMPORT_JOB = "import_files"
"""The lakes only: one vendor file into its lake."""


def build_definitions(settings: Settings) -> dg.Definitions:
    """Everything Dagster shows and runs for ``settings``' repository."""
    assets = build_assets(settings)
    daily = dg.define_asset_job(
        DAILY_JOB, selection=dg.AssetSelection.all(), executor_def=dg.in_process_executor
    )
    imports = dg.define_asset_job(
        IMPORT_JOB,
        selection=dg.AssetSelection.assets(*[lake_key(lake) for lake in LAKES]),
        executor_def=dg.in_process_executor,
    )
    return dg.Definitions(
        assets=assets,
        jobs=[daily, imports],
        schedules=[session_schedule(daily, settings.exchange)],
        sensors=[inbox_sensor(settings.root, imports, settings.exchange)],
    )
