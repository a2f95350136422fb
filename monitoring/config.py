"""The monitoring configuration: drift, references, SLAs, alert rules and routes.

Read from ``monitoring.yaml`` at the repo root when it exists (``${VAR}`` expanded from the
environment, as Feast does); every section has defaults, so the file is optional.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from monitoring.alert_routes import JsonlRouteConfig, LogRouteConfig, RouteConfig
from monitoring.alerts import DEFAULT_RULES, RuleConfig
from monitoring.calibrated import CalibratedConfig
from monitoring.drift import DriftConfig
from monitoring.drift_check import DriftCheckConfig
from monitoring.sla import SLAConfig

CONFIG_FILE = "monitoring.yaml"


class AlertsConfig(BaseModel):
    """Alert rules, routes and the cool-down."""

    model_config = ConfigDict(extra="forbid")

    rules: list[RuleConfig] = Field(default_factory=lambda: list(DEFAULT_RULES))
    """The rules evaluated (default: one of each type with its defaults)."""

    routes: list[RouteConfig] = Field(
        default_factory=lambda: [LogRouteConfig(), JsonlRouteConfig()]
    )
    """Where alerts go (default: the log and ``data/monitoring/alerts/notifications.jsonl``)."""

    cooldown_minutes: float = Field(default=60, ge=0)
    """A key that fires again within this long after resolving re-opens its old incident."""

    @property
    def cooldown(self) -> timedelta:
        return timedelta(minutes=self.cooldown_minutes)


class MonitoringConfig(BaseModel):
    """Everything ``monitoring.yaml`` may hold."""

    model_config = ConfigDict(extra="forbid")

    drift: DriftConfig = Field(default_factory=DriftConfig)
    """Statistics, thresholds and per-feature overrides."""

    drift_check: DriftCheckConfig = Field(default_factory=DriftCheckConfig)
    """The current window, the reference it is compared with, and the method."""

    drift_calibrated: CalibratedConfig = Field(default_factory=CalibratedConfig)
    """Margins and false discovery rate of the calibrated method."""

    drift_after_materialize: bool = True
    """Check the drift of the views each materialization wrote (calibrated method, reference
    summaries kept between checks) and alert new root causes at once."""

    sla: SLAConfig = Field(default_factory=SLAConfig)
    """Freshness SLAs."""

    alerts: AlertsConfig = Field(default_factory=AlertsConfig)
    """Alert rules and routes."""


def load_config(root: Path) -> MonitoringConfig:
    """``<root>/monitoring.yaml`` validated (errors name the key), or the defaults."""
    path = Path(root) / CONFIG_FILE
    if not path.exists():
        return MonitoringConfig()
    data: Any = yaml.safe_load(os.path.expandvars(path.read_text())) or {}
    try:
        return MonitoringConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ValueError(f"{path}: {problems}") from exc
