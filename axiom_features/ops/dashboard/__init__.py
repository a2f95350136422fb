"""``axiom dashboard``: the monitoring pages, served on 127.0.0.1 or written as a static report.

Pages: ``/`` (what needs attention first, then views, quality, incidents, runs),
``/view/<name>`` (one view's drift over time and distributions), ``/alerts`` and ``/trace``
(a served or training value traced to vendor file lines). Freshness
and the attention list come from one ``axiom health`` report
(:func:`axiom_features.ops.health.check_health`), computed when the server starts and
refreshed in the background every ``refresh_seconds``: a page load reads only small
records and never waits for the online store.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

from axiom_features.ops.dashboard.data import alert_events, overview, view_page
from axiom_features.ops.dashboard.render import render_alerts, render_overview, render_view
from axiom_features.ops.dashboard.trace_page import trace_page
from axiom_features.ops.health import HealthReport, check_health

VIEW_PATH = re.compile(r"^/view/([A-Za-z0-9_\-]+)/?$")


class HealthSnapshot:
    """The latest ``axiom health`` report of a repo, refreshed in a background thread."""

    def __init__(self, root: Path, profile: str = "default", now: datetime | None = None):
        self.root, self.profile, self.now = root, profile, now
        self._lock = threading.Lock()
        self._report = self._check()

    def _check(self) -> HealthReport:
        return check_health(self.root, self.profile, now=self.now or datetime.now(UTC))

    @property
    def report(self) -> HealthReport:
        with self._lock:
            return self._report

    def refresh(self) -> None:
        report = self._check()
        with self._lock:
            self._report = report

    def refresh_every(self, seconds: float) -> threading.Event:
        """Refresh in a background thread every ``seconds`` until the returned event is set."""

        def loop() -> None:
            while not stop.wait(seconds):
                try:
                    self.refresh()
                except Exception:  # the previous report stays; the next pass tries again
                    pass

        stop = threading.Event()
        threading.Thread(target=loop, daemon=True, name="dashboard-health").start()
        return stop


def page(root: Path, path: str, health: HealthSnapshot) -> str | None:
    """The HTML of ``path`` (None: no such page)."""
    if path in ("/", "/index.html"):
        return render_overview(overview(root, health.report))
    if path.rstrip("/") == "/alerts":
        report = overview(root, health.report)
        return render_alerts(report.open_incidents, alert_events(root))
    where, _, query = path.partition("?")
    if where.rstrip("/") == "/trace":
        return trace_page(root, query, health.profile)
    match = VIEW_PATH.match(unquote(path))
    if match:
        found = view_page(root, match.group(1), health.report)
        return render_view(found) if found else None
    return None


def write_report(root: Path, out: Path, profile: str = "default") -> Path:
    """Every page in one self-contained static HTML file (overview, alerts, each view)."""
    health = HealthSnapshot(root, profile)
    first = overview(root, health.report)
    parts = [render_overview(first), render_alerts(first.open_incidents, alert_events(root))]
    for view in first.views:
        found = view_page(root, view.name, health.report)
        if found:
            body = render_view(found, prefix="#")
            parts.append(f"<section id='page-{view.name}'>{body}</section>")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(parts))
    return out


def make_server(
    root: Path,
    port: int = 0,
    profile: str = "default",
    refresh_seconds: float = 60.0,
    now: datetime | None = None,
) -> DashboardServer:
    """A server on 127.0.0.1 over the repo at ``root`` (health is checked before it returns;
    ``now`` fixes the clock of its checks, e.g. to replay a past day)."""
    health = HealthSnapshot(root, profile, now)
    stop_refreshing = health.refresh_every(refresh_seconds)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            html = page(root, self.path, health)
            if html is None:
                self.send_error(404)
                return
            body = html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    return DashboardServer(("127.0.0.1", port), Handler, stop_refreshing)


class DashboardServer(ThreadingHTTPServer):
    """The dashboard's HTTP server; closing it also stops its health refresh."""

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        stop_refreshing: threading.Event,
    ) -> None:
        super().__init__(address, handler)
        self.stop_refreshing = stop_refreshing

    def server_close(self) -> None:
        self.stop_refreshing.set()
        super().server_close()


def serve(
    root: Path,
    port: int = 8765,
    on_ready: Callable[[str], None] | None = None,
    profile: str = "default",
) -> None:
    """Serve until interrupted."""
    server = make_server(root, port, profile)
    if on_ready:
        on_ready(f"http://127.0.0.1:{server.server_port}/")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
