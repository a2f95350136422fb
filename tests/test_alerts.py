"""Alerts reach a real local webhook once per incident, retried when the server first fails."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from monitoring.alert_manager import AlertManager
from monitoring.alert_routes import (
    JsonlRouteConfig,
    WebhookRouteConfig,
    build_route,
)
from monitoring.alerts import (
    Alert,
    MetricAnomalyRule,
    Observations,
    PipelineRule,
    QualityRule,
    evaluate,
)

T0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


class Receiver:
    """A webhook on 127.0.0.1 that answers 500 to its first ``failures`` requests."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.attempts: list[dict] = []
        self.received: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                receiver.attempts.append(body)
                if len(receiver.attempts) <= receiver.failures:
                    self.send_response(500)
                else:
                    receiver.received.append(body)
                    self.send_response(200)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver(failures=1) as r:
        yield r


def _manager(tmp_path: Path, url: str, **webhook) -> AlertManager:
    config = WebhookRouteConfig(url=url, backoff_seconds=0.01, timeout_seconds=2, **webhook)
    routes = [build_route(config, tmp_path), build_route(JsonlRouteConfig(), tmp_path)]
    return AlertManager(tmp_path / "alerts", routes, cooldown=timedelta(hours=1))


def _failed_run(command: str, run_id: str) -> dict:
    return {"run_id": run_id, "command": command, "status": "failed", "error": "boom"}


def test_webhook_gets_each_incident_exactly_once_after_a_retry(
    tmp_path: Path, receiver: Receiver
) -> None:
    manager = _manager(tmp_path, receiver.url)
    seen = Observations(runs=[_failed_run("transform", "r1")])
    for minute in range(3):  # the same failure seen by three evaluations
        manager.process(evaluate([PipelineRule()], seen), now=T0 + timedelta(minutes=minute))
    assert len(receiver.attempts) == 2  # the first answered 500, the retry succeeded
    assert [b["key"] for b in receiver.received] == ["pipeline:transform"]
    assert receiver.received[0]["severity"] == "critical"
    lines = (tmp_path / "data/monitoring/alerts/notifications.jsonl").read_text().splitlines()
    assert len(lines) == 1

    seen = Observations(runs=[*seen.runs, _failed_run("materialize", "r2")])
    manager.process(evaluate([PipelineRule()], seen), now=T0 + timedelta(minutes=5))
    assert [b["key"] for b in receiver.received] == ["pipeline:transform", "pipeline:materialize"]


def test_a_flapping_alert_within_the_cooldown_is_one_incident(
    tmp_path: Path, receiver: Receiver
) -> None:
    manager = _manager(tmp_path, receiver.url)
    alert = Alert(key="freshness:v", rule="freshness", severity="critical", title="t",
                  message="m", subject="v")  # fmt: skip
    manager.process([alert], now=T0)
    manager.process([], now=T0 + timedelta(minutes=10))  # resolved
    manager.process([alert], now=T0 + timedelta(minutes=20))  # back within the cool-down
    assert len(receiver.received) == 1
    manager.process([], now=T0 + timedelta(minutes=30))
    manager.process([alert], now=T0 + timedelta(hours=2))  # a new incident after the cool-down
    assert len(receiver.received) == 2


def test_slack_format_and_retry_until_the_server_answers(tmp_path: Path) -> None:
    with Receiver(failures=2) as server:
        manager = _manager(tmp_path, server.url, format="slack", retries=3)
        manager.process([Alert("k", "drift", "warning", "v:f drifted", "psi = 0.4", "v:f")], T0)
        assert len(server.attempts) == 3
        assert len(server.received) == 1 and "v:f drifted" in server.received[0]["text"]


def test_an_unreachable_webhook_stays_pending_and_is_sent_later(tmp_path: Path) -> None:
    with Receiver(failures=100) as server:
        manager = _manager(tmp_path, server.url, retries=1)
        alert = Alert("k", "drift", "warning", "t", "m", "s")
        manager.process([alert], T0)
        assert server.received == [] and len(server.attempts) == 2
        server.failures = 0
        server.attempts.clear()
        manager.process([alert], T0 + timedelta(minutes=1))
        manager.process([alert], T0 + timedelta(minutes=2))
        assert len(server.received) == 1


def test_min_severity_filters_a_route(tmp_path: Path, receiver: Receiver) -> None:
    manager = _manager(tmp_path, receiver.url, min_severity="critical")
    manager.process([Alert("k", "drift", "warning", "t", "m", "s")], T0)
    assert receiver.attempts == []


def test_quality_and_anomaly_rules_fire_on_run_history() -> None:
    runs = [
        {"run_id": f"r{i}", "command": "transform", "status": "succeeded", "rows_written": 1000 + i}
        for i in range(8)
    ]
    runs.append({"run_id": "r9", "command": "transform", "status": "succeeded", "rows_written": 10})
    runs.append(
        {"run_id": "i1", "command": "ingest", "status": "succeeded",
         "row_counts": {"rows_in": 100, "accepted": 90, "quarantined": 10}}
    )  # fmt: skip
    alerts = evaluate([MetricAnomalyRule(), QualityRule()], Observations(runs=runs))
    assert sorted(a.key for a in alerts) == [
        "anomaly:transform:rows_written",
        "quality:ingest:quarantined_share",
    ]
    alerts = evaluate([MetricAnomalyRule()], Observations(runs=runs[:-2]))
    assert alerts == []
