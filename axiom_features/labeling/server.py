"""``axiom labels serve``: the annotation page over HTTP on 127.0.0.1 (standard library
server; every answer is appended to the label store as an event)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, urlparse

import pandas as pd

from axiom_features.labeling.chart import bar_features, candlestick_svg, features_table, window
from axiom_features.labeling.events import AnnotationEvent, parse_item
from axiom_features.labeling.page import done_page, item_page, name_form
from axiom_features.labeling.queue import AnnotationQueue, handled_by
from axiom_features.labeling.schema import LabelSchema
from axiom_features.labeling.store import LabelStore


@dataclass
class AnnotationApp:
    """What the page needs: the schema, the queue, bars per symbol and the store."""

    schema: LabelSchema
    queue: AnnotationQueue
    bars: dict[str, pd.DataFrame]
    store: LabelStore

    def render(self, annotator: str | None) -> str:
        if not annotator:
            return name_form(self.schema)
        handled = handled_by(self.store.events(), annotator)
        done, total = self.queue.progress(handled)
        item = self.queue.next_for(handled)
        if item is None:
            return done_page(self.schema, annotator, done, total)
        symbol, time = parse_item(item)
        bars, focus = window(self.bars.get(symbol, _empty_bars()), time)
        return item_page(
            self.schema, annotator, item, candlestick_svg(bars, focus),
            features_table(bar_features(bars, focus)), done, total,
        )  # fmt: skip

    def answer(self, form: dict[str, str]) -> str:
        """Append the events one submitted form makes; return the annotator."""
        annotator, item = form.get("annotator", "").strip(), form.get("item", "")
        values = {str(v) for v in self.schema.values}
        common = {"item": item, "annotator": annotator, "schema": self.schema.ref}
        events = []
        if form.get("comment", "").strip():
            comment = form["comment"].strip()
            events.append(AnnotationEvent(**common, action="comment", comment=comment))
        if "choice" in form:
            if form["choice"] not in values:
                raise ValueError(f"choice: '{form['choice']}' is not a class of {self.schema.ref}")
            events.append(AnnotationEvent(**common, value=int(form["choice"])))
        elif "skip" in form:
            events.append(AnnotationEvent(**common, action="skip"))
        self.store.append(events)
        return annotator


def _empty_bars() -> pd.DataFrame:
    return pd.DataFrame(columns=["event_timestamp", "open", "high", "low", "close", "volume"])


def _handler(app: AnnotationApp) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

        def _send(self, status: int, body: str, kind: str = "text/html; charset=utf-8") -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802
            url = urlparse(self.path)
            query = {k: v[-1] for k, v in parse_qs(url.query).items()}
            if url.path == "/":
                self._send(HTTPStatus.OK, app.render(query.get("annotator", "").strip()))
            elif url.path == "/api/events":
                events = app.store.events().astype({"created_at": str, "value": object})
                records = events.where(events.notna(), None).to_dict("records")
                self._send(HTTPStatus.OK, json.dumps(records), "application/json")
            else:
                self._send(HTTPStatus.NOT_FOUND, "not found", "text/plain")

        def do_POST(self) -> None:  # noqa: N802
            if urlparse(self.path).path != "/annotate":
                self._send(HTTPStatus.NOT_FOUND, "not found", "text/plain")
                return
            length = int(self.headers.get("Content-Length", 0))
            form = {k: v[-1] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            try:
                annotator = app.answer(form)
            except ValueError as exc:
                self._send(HTTPStatus.BAD_REQUEST, str(exc), "text/plain")
                return
            self.send_response(HTTPStatus.SEE_OTHER)
            self.send_header("Location", f"/?annotator={quote(annotator)}")
            self.send_header("Content-Length", "0")
            self.end_headers()

    return Handler


def make_server(app: AnnotationApp, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    return ThreadingHTTPServer((host, port), _handler(app))
