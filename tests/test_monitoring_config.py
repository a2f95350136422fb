"""monitoring.yaml: optional, typed, environment-expanded; errors name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitoring.alert_routes import ROUTE_CLASSES, WebhookRouteConfig, build_route
from monitoring.config import MonitoringConfig, load_config

CONFIG = """
drift:
  numeric_method: hellinger
  features:
    ta_volume:obv: {method: ks}
sla:
  views:
    ta_momentum: {type: duration, max_age_minutes: 30}
alerts:
  routes:
    - {type: webhook, url: "${AXIOM_TEST_WEBHOOK}", format: slack}
"""


def test_defaults_without_a_file(tmp_path: Path) -> None:
    config = load_config(tmp_path)
    assert config == MonitoringConfig()
    assert [r.type for r in config.alerts.routes] == ["log", "jsonl"]


def test_file_is_validated_and_expanded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AXIOM_TEST_WEBHOOK", "http://127.0.0.1:1/hook")
    (tmp_path / "monitoring.yaml").write_text(CONFIG)
    config = load_config(tmp_path)
    route = config.alerts.routes[0]
    assert isinstance(route, WebhookRouteConfig) and route.url == "http://127.0.0.1:1/hook"
    assert isinstance(build_route(route, tmp_path), ROUTE_CLASSES["webhook"])
    assert config.drift.for_feature("ta_volume", "obv").method == "ks"
    assert config.sla.for_view("ta_momentum").type == "duration"
    assert config.sla.for_view("ta_overlap").type == "sessions"


def test_an_invalid_value_names_its_key(tmp_path: Path) -> None:
    (tmp_path / "monitoring.yaml").write_text("alerts:\n  routes:\n    - {type: webhook}\n")
    with pytest.raises(ValueError, match=r"alerts\.routes\.0\.webhook\.url"):
        load_config(tmp_path)
