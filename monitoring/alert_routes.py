"""Where alerts go: typed route configs (one per ``type``) and the classes that deliver them.

Configured like Feast's plugins: each config has ``type: Literal[...]`` and a docstring per
field; :data:`ROUTE_CLASSES` maps the type to the class that sends.

.. code-block:: yaml

    routes:
      - type: log
      - type: jsonl
        path: data/monitoring/alerts/notifications.jsonl
      - type: webhook
        url: ${AXIOM_ALERT_WEBHOOK}
        format: slack
        min_severity: warning
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from monitoring.alerts import SEVERITY_RANK, Alert, Severity

logger = logging.getLogger("axiom.alerts")


class _RouteConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    """A name for the route in delivery records (default: its type)."""

    min_severity: Severity = "info"
    """Alerts below this severity are not sent on this route."""


class LogRouteConfig(_RouteConfig):
    """Write each alert to the ``axiom.alerts`` logger."""

    type: Literal["log"] = "log"
    """Route type selector."""


class JsonlRouteConfig(_RouteConfig):
    """Append each alert as one JSON line to a file."""

    type: Literal["jsonl"] = "jsonl"
    """Route type selector."""

    path: str = "data/monitoring/alerts/notifications.jsonl"
    """The file, relative to the repo root unless absolute."""


class WebhookRouteConfig(_RouteConfig):
    """POST each alert as JSON to a URL, retrying with exponential backoff."""

    type: Literal["webhook"] = "webhook"
    """Route type selector."""

    url: str
    """Where to POST (e.g. ``${AXIOM_ALERT_WEBHOOK}``; expanded from the environment)."""

    format: Literal["json", "slack"] = "json"
    """``json``: the alert's fields; ``slack``: a Slack incoming-webhook body (``text``)."""

    timeout_seconds: float = Field(default=5.0, gt=0)
    """Per-attempt timeout."""

    retries: int = Field(default=3, ge=0)
    """Extra attempts after a failed one (connection error, timeout, 429 or 5xx)."""

    backoff_seconds: float = Field(default=0.5, ge=0)
    """Wait before the first retry; doubled before each next one."""

    headers: dict[str, str] = Field(default_factory=dict)
    """Extra HTTP headers (e.g. an authorization token from the environment)."""


RouteConfig = Annotated[
    LogRouteConfig | JsonlRouteConfig | WebhookRouteConfig, Field(discriminator="type")
]


class Route:
    """Delivers alerts; ``send`` returns True when delivered."""

    def __init__(self, config: Any, root: Path) -> None:
        self.config = config
        self.root = root

    @property
    def name(self) -> str:
        return self.config.name or self.config.type

    def accepts(self, alert: Alert) -> bool:
        return SEVERITY_RANK[alert.severity] >= SEVERITY_RANK[self.config.min_severity]

    def send(self, alert: Alert) -> bool:
        raise NotImplementedError


class LogRoute(Route):
    def send(self, alert: Alert) -> bool:
        level = {"info": logging.INFO, "warning": logging.WARNING, "critical": logging.ERROR}
        logger.log(level[alert.severity], "[%s] %s: %s", alert.severity, alert.key, alert.message)
        return True


class JsonlRoute(Route):
    def send(self, alert: Alert) -> bool:
        path = Path(self.config.path)
        path = path if path.is_absolute() else self.root / path
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a") as f:
            f.write(json.dumps(alert.to_dict()) + "\n")
        return True


class WebhookRoute(Route):
    def body(self, alert: Alert) -> dict[str, Any]:
        if self.config.format == "slack":
            icon = {
                "info": ":information_source:",
                "warning": ":warning:",
                "critical": ":rotating_light:",
            }
            return {
                "text": f"{icon[alert.severity]} *{alert.title}*\n{alert.message}\n`{alert.key}`"
            }
        return alert.to_dict()

    def send(self, alert: Alert) -> bool:
        data = json.dumps(self.body(alert)).encode()
        headers = {"Content-Type": "application/json", **self.config.headers}
        wait = self.config.backoff_seconds
        for attempt in range(self.config.retries + 1):
            request = urllib.request.Request(self.config.url, data=data, headers=headers)
            try:
                with urllib.request.urlopen(request, timeout=self.config.timeout_seconds) as reply:
                    if 200 <= reply.status < 300:
                        return True
            except urllib.error.HTTPError as exc:
                if exc.code != 429 and exc.code < 500:
                    logger.error("webhook %s refused %s: HTTP %s", self.name, alert.key, exc.code)
                    return False
                logger.warning("webhook %s: HTTP %s (attempt %d)", self.name, exc.code, attempt + 1)
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                logger.warning("webhook %s: %s (attempt %d)", self.name, exc, attempt + 1)
            if attempt < self.config.retries:
                time.sleep(wait)
                wait *= 2
        return False


ROUTE_CLASSES: dict[str, type[Route]] = {
    "log": LogRoute,
    "jsonl": JsonlRoute,
    "webhook": WebhookRoute,
}


def build_route(config: Any, root: Path) -> Route:
    """The route object for a route config."""
    return ROUTE_CLASSES[config.type](config, root)
