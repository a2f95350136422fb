"""Send events through the configured transport: JSON lines appended to a file, or POSTed by
openlineage-python's HTTP transport (the client is imported only when HTTP is configured)."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any, Protocol

from axiom_features.lineage.settings import FileTransportConfig, HttpTransportConfig, LineageConfig

log = logging.getLogger(__name__)


class Transport(Protocol):
    def emit(self, event: dict[str, Any]) -> None: ...


class FileTransport:
    """One JSON document per line, appended with a single write (whole lines even when
    several processes append to the same file)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)

    def emit(self, event: dict[str, Any]) -> None:
        line = (json.dumps(event, sort_keys=True, default=str) + "\n").encode()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            written = 0
            while written < len(line):
                written += os.write(fd, line[written:])
        finally:
            os.close(fd)


class HttpTransport:
    """POST to a Marquez-compatible endpoint through openlineage-python's HTTP transport."""

    def __init__(self, config: HttpTransportConfig) -> None:
        from openlineage.client.transport.http import (
            ApiKeyTokenProvider,
            HttpConfig,
        )
        from openlineage.client.transport.http import (
            HttpTransport as ClientHttpTransport,
        )

        auth = {}
        if config.api_key_env and os.environ.get(config.api_key_env):
            auth["auth"] = ApiKeyTokenProvider({"apiKey": os.environ[config.api_key_env]})
        self._transport = ClientHttpTransport(
            HttpConfig(
                url=config.url,
                endpoint=config.endpoint,
                timeout=config.timeout_seconds,
                retry={"total": 1, "backoff_factor": 0.1, "status_forcelist": [502, 503, 504]},
                **auth,
            )
        )

    def emit(self, event: dict[str, Any]) -> None:
        self._transport.emit(event)


def transport_for(config: LineageConfig, root: Path) -> Transport:
    """The transport ``config`` names; a file path is relative to the repository ``root``."""
    transport = config.transport
    if isinstance(transport, HttpTransportConfig):
        return HttpTransport(transport)
    assert isinstance(transport, FileTransportConfig)
    return FileTransport(root / transport.path)


def emit(transport: Transport, event: dict[str, Any]) -> bool:
    """Send ``event``; a transport failure is logged, never raised into the job."""
    try:
        transport.emit(event)
    except Exception as exc:  # noqa: BLE001 - lineage must not fail the job it describes
        log.warning("lineage event for %s not sent: %s", event["job"]["name"], exc)
        return False
    return True
