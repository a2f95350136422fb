"""``axiom dashboard``: the monitoring page, served on 127.0.0.1 or written as a static report."""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from axiom_features.ops.dashboard.data import collect
from axiom_features.ops.dashboard.render import render


def page(root: Path) -> str:
    """The dashboard's HTML for the repo at ``root``, as of now."""
    return render(collect(root))


def write_report(root: Path, out: Path) -> Path:
    """The same page as a self-contained static HTML file."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page(root))
    return out


def make_server(root: Path, port: int = 0) -> ThreadingHTTPServer:
    """A server on 127.0.0.1 that renders the page on every ``GET /``."""
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            if self.path not in ("/", "/index.html"):
                self.send_error(404)
                return
            with lock:  # one render at a time: it reads many files
                body = page(root).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    return ThreadingHTTPServer(("127.0.0.1", port), Handler)


def serve(root: Path, port: int = 8765, on_ready: Callable[[str], None] | None = None) -> None:
    """Serve until interrupted."""
    server = make_server(root, port)
    if on_ready:
        on_ready(f"http://127.0.0.1:{server.server_port}/")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
