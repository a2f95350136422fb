"""Incidents: de-duplicate alerts by key, hold a cool-down, deliver to routes, keep a history.

An incident opens when a key fires that has no open incident; it is delivered once to every
route that accepts it. While the key keeps firing nothing more is sent. When it stops firing
the incident resolves; if it fires again within ``cooldown`` of resolving, the old incident
re-opens silently (a flapping condition is one incident). An alert under a new key that
covers a feature of a live incident (a drift cause the monitoring pass names by the whole
bar feed, after the check of one materialization named its volume column) is that
incident: it keeps the key it was first given, so one fault opens and delivers once,
whichever check finds it first. A route that fails (after its own
retries) keeps the incident pending for that route, and the next ``process`` tries again.

State: ``<root>/state.json`` (open and recently resolved incidents); history:
``<root>/history.jsonl`` (one line per opened, delivered or resolved event).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from monitoring.alert_routes import Route
from monitoring.alerts import Alert


class AlertManager:
    """Turns each evaluation's alerts into deliveries, once per incident."""

    def __init__(self, root: Path, routes: Sequence[Route], cooldown: timedelta) -> None:
        self.root = Path(root)
        self.routes = list(routes)
        self.cooldown = cooldown

    @property
    def state_path(self) -> Path:
        return self.root / "state.json"

    @property
    def history_path(self) -> Path:
        return self.root / "history.jsonl"

    def process(
        self, alerts: Sequence[Alert], now: datetime | None = None, *, resolve: bool = True
    ) -> list[Alert]:
        """Record this evaluation's firing ``alerts``; return the ones delivered now.

        ``resolve=False`` for a partial evaluation (a check of a few views after a
        materialization): keys not firing are left as they are."""
        now = now or datetime.now(UTC)
        state = self._load()
        firing = {a.key: a for a in self._correlate(alerts, state, now)}
        delivered: list[Alert] = []
        for key, alert in firing.items():
            incident = state.get(key)
            if incident is None or not self._same_incident(incident, now):
                incident = {
                    "opened_at": now.isoformat(),
                    "alert": alert.to_dict(),
                    "pending": [r.name for r in self.routes if r.accepts(alert)],
                    "delivered": [],
                }
                state[key] = incident
                self._history("opened", alert, now)
            incident.update(resolved_at=None, last_seen_at=now.isoformat(), alert=alert.to_dict())
            sent = self._deliver(alert, incident, now)
            if sent:
                delivered.append(alert)
        for key, incident in state.items() if resolve else ():
            if key not in firing and incident.get("resolved_at") is None:
                incident["resolved_at"] = now.isoformat()
                self._history("resolved", Alert(**incident["alert"]), now)
        self._save(state, now)
        return delivered

    def correlate(self, alerts: Sequence[Alert], now: datetime | None = None) -> list[Alert]:
        """``alerts`` with each one that covers a feature of a live incident under another
        key given that incident's key, the one sharing most features (what :meth:`process`
        records them as)."""
        return self._correlate(alerts, self._load(), now or datetime.now(UTC))

    def _correlate(
        self, alerts: Sequence[Alert], state: dict[str, dict[str, Any]], now: datetime
    ) -> list[Alert]:
        own = {a.key for a in alerts}
        live = {
            key: set(incident["alert"].get("features") or ())
            for key, incident in state.items()
            if self._same_incident(incident, now)
        }
        claimed: set[str] = set()
        result = []
        for alert in alerts:
            key = alert.key
            if key not in live and alert.features:
                shared = {
                    k: len(covered & set(alert.features))
                    for k, covered in live.items()
                    if k not in own and k not in claimed
                }
                best = max(shared, key=shared.__getitem__, default=None)
                key = best if best is not None and shared[best] else key
            if key != alert.key:
                claimed.add(key)
                first = Alert(**state[key]["alert"])
                alert = replace(
                    alert,
                    key=key,
                    subject=first.subject,
                    labels={**alert.labels, **first.labels, "seen_as": alert.subject},
                    features=list(dict.fromkeys([*first.features, *alert.features])),
                )
            result.append(alert)
        return result

    def open_incidents(self) -> list[dict[str, Any]]:
        return [i for i in self._load().values() if i.get("resolved_at") is None]

    def history(self) -> list[dict[str, Any]]:
        if not self.history_path.exists():
            return []
        return [json.loads(line) for line in self.history_path.read_text().splitlines() if line]

    def _same_incident(self, incident: dict[str, Any], now: datetime) -> bool:
        resolved = incident.get("resolved_at")
        return resolved is None or now - datetime.fromisoformat(resolved) < self.cooldown

    def _deliver(self, alert: Alert, incident: dict[str, Any], now: datetime) -> bool:
        sent = False
        for route in self.routes:
            if route.name not in incident["pending"]:
                continue
            if route.send(alert):
                incident["pending"].remove(route.name)
                incident["delivered"].append(route.name)
                self._history("delivered", alert, now, route=route.name)
                sent = True
            else:
                self._history("delivery_failed", alert, now, route=route.name)
        return sent

    def _history(self, event: str, alert: Alert, now: datetime, **extra: Any) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        line = {"event": event, "at": now.isoformat(), **extra, "alert": alert.to_dict()}
        with self.history_path.open("a") as f:
            f.write(json.dumps(line) + "\n")

    def _load(self) -> dict[str, dict[str, Any]]:
        if not self.state_path.exists():
            return {}
        return json.loads(self.state_path.read_text())

    def _save(self, state: dict[str, dict[str, Any]], now: datetime) -> None:
        keep = {
            k: v
            for k, v in state.items()
            if v.get("resolved_at") is None
            or now - datetime.fromisoformat(v["resolved_at"]) < self.cooldown
        }
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(keep, indent=1))
        os.replace(tmp, self.state_path)
