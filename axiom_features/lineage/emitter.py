"""Send events through the configured transport (openlineage-python's file or HTTP)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import RunEvent
from openlineage.client.transport.file import FileConfig, FileTransport
from openlineage.client.transport.http import ApiKeyTokenProvider, HttpConfig, HttpTransport

from axiom_features.lineage.settings import FileTransportConfig, HttpTransportConfig, LineageConfig

log = logging.getLogger(__name__)


def client_for(config: LineageConfig, root: Path) -> OpenLineageClient:
    """An OpenLineage client whose transport follows ``config``."""
    transport = config.transport
    if isinstance(transport, HttpTransportConfig):
        auth = {}
        if transport.api_key_env and os.environ.get(transport.api_key_env):
            auth["auth"] = ApiKeyTokenProvider({"apiKey": os.environ[transport.api_key_env]})
        http = HttpConfig(
            url=transport.url,
            endpoint=transport.endpoint,
            timeout=transport.timeout_seconds,
            retry={"total": 1, "backoff_factor": 0.1, "status_forcelist": [502, 503, 504]},
            **auth,
        )
        return OpenLineageClient(transport=HttpTransport(http))
    assert isinstance(transport, FileTransportConfig)
    path = root / transport.path
    path.parent.mkdir(parents=True, exist_ok=True)
    return OpenLineageClient(
        transport=FileTransport(FileConfig(log_file_path=str(path), append=True))
    )


def emit(client: OpenLineageClient, event: RunEvent) -> bool:
    """Send ``event``; a transport failure is logged, never raised into the job."""
    try:
        client.emit(event)
    except Exception as exc:  # noqa: BLE001 - lineage must not fail the job it describes
        log.warning("lineage event for %s not sent: %s", event.job.name, exc)
        return False
    return True
