"""Lineage: OpenLineage events for every job, row-level traces to vendor file lines."""

from __future__ import annotations

import csv
import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import jsonschema
import pandas as pd
import pytest
from click.testing import CliRunner

from axiom_features.audit.log import AuditLog
from axiom_features.cli.app import cli
from axiom_features.ingest.errors import IngestError
from axiom_features.lineage.lookup import trace_value
from axiom_features.lineage.revision import git_revision
from axiom_features.lineage.trace import TraceError, Tracer
from axiom_features.pipeline import jobs
from axiom_features.synthetic.bars import generate_bars
from tests.conftest import copy_feature_repo
from tests.openlineage_schema import RUN_EVENT

VALIDATOR = jsonschema.Draft202012Validator(
    RUN_EVENT, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
)
VIEW = "ta_momentum"


def _events(root: Path) -> list[dict]:
    path = root / "data" / "lineage" / "events.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def _vendor_files(root: Path) -> list[Path]:
    """Two vendor CSVs (two symbols each), plus one bad row that the gate holds."""
    bars = generate_bars(4, 120, seed=3).drop(columns=["created_timestamp", "source"])
    symbols = sorted(bars["symbol"].unique())
    paths = []
    for k, chosen in enumerate((symbols[:2], symbols[2:])):
        part = bars[bars["symbol"].isin(chosen)].copy()
        if k == 1:
            bad = part.iloc[[0]].copy()
            bad["event_timestamp"] = bad["event_timestamp"] + pd.Timedelta(days=400)
            bad["close"] = -1.0
            part = pd.concat([part, bad])
        path = root / f"vendor_{k}.csv"
        part.to_csv(path, index=False)
        paths.append(path)
    return paths


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Ingest two vendor files, compute one view, apply, materialize, try a release."""
    root = copy_feature_repo(tmp_path_factory.mktemp("lineage") / "repo", project="lineage_t")
    jobs.ingest_files(root, _vendor_files(root))
    jobs.release_quarantine(root)
    jobs.transform(root, views=[VIEW])
    jobs.apply(root)
    jobs.materialize(root, datetime(2000, 1, 1, tzinfo=UTC), datetime.now(UTC), views=[VIEW])
    return root


def test_every_job_emits_start_then_complete_and_every_event_validates(pipeline):
    events = _events(pipeline)
    for event in events:
        errors = [e.message for e in VALIDATOR.iter_errors(event)]
        assert errors == [], (event["eventType"], event["job"]["name"], errors)
    by_job: dict[str, list[str]] = {}
    for event in events:
        by_job.setdefault(event["job"]["name"], []).append(event["eventType"])
    for job in ("ingest", "quality-release", "transform", "apply", "materialize"):
        assert by_job[job] == ["START", "COMPLETE"], job


def test_feasts_own_events_for_apply_and_materialize_are_kept_and_validate(pipeline):
    path = pipeline / "data" / "lineage" / "feast_events.jsonl"
    events = [json.loads(line) for line in path.read_text().splitlines()]
    names = {e["job"]["name"] for e in events}
    assert any(n.startswith("feast_feature_views") for n in names), names
    assert any(n.startswith("materialize") for n in names), names
    for event in events:
        assert not [e.message for e in VALIDATOR.iter_errors(event)], event["job"]["name"]


def _complete(root: Path, job: str) -> dict:
    return next(
        e for e in _events(root) if e["job"]["name"] == job and e["eventType"] == "COMPLETE"
    )


def test_ingest_event_carries_the_gate_verdict_and_each_file_sha256(pipeline):
    event = _complete(pipeline, "ingest")
    files = {i["name"]: i for i in event["inputs"]}
    assert set(files) == {str(pipeline / "vendor_0.csv"), str(pipeline / "vendor_1.csv")}
    for name, dataset in files.items():
        import hashlib

        expected = hashlib.sha256(Path(name).read_bytes()).hexdigest()
        assert dataset["facets"]["version"]["datasetVersion"] == expected
        assertions = dataset["inputFacets"]["dataQualityAssertions"]["assertions"]
        failed = {a["assertion"] for a in assertions if not a["success"]}
        assert "positive:close" in failed
        assert any(a["assertion"] == "not_null:symbol" and a["success"] for a in assertions)
    assert event["run"]["facets"]["axiom"]["rowCounts"]["quarantined"] >= 1


def test_transform_event_has_column_lineage_view_version_and_code_location(pipeline):
    from transforms.catalogue import catalogue

    event = _complete(pipeline, "transform")
    (output,) = event["outputs"]
    assert output["name"] == f"offline.{VIEW}"
    rsi = output["facets"]["columnLineage"]["fields"]["rsi_14"]["inputFields"]
    assert [(f["namespace"], f["name"], f["field"]) for f in rsi] == [
        ("axiom", "lake.bars", "close")
    ]
    assert rsi[0]["transformations"][0]["type"] == "DIRECT"
    assert output["facets"]["version"]["datasetVersion"] == catalogue().view(VIEW).version
    location = event["job"]["facets"]["sourceCodeLocation"]
    assert location["version"] == git_revision() and location["type"] == "git"


def test_a_failing_job_emits_fail_with_its_error_and_an_audit_entry(pipeline):
    with pytest.raises(IngestError):
        jobs.ingest_files(pipeline, [pipeline / "missing.csv"])
    event = _events(pipeline)[-1]
    assert event["eventType"] == "FAIL" and not list(VALIDATOR.iter_errors(event))
    assert "missing.csv" in event["run"]["facets"]["errorMessage"]["message"]
    last = AuditLog(pipeline).entries()[-1]
    assert last["command"] == "ingest" and last["details"]["status"] == "failed"


def test_every_job_run_is_in_the_audit_log_and_the_log_verifies(pipeline):
    log = AuditLog(pipeline)
    commands = [e["command"] for e in log.entries()]
    for job in ("ingest", "quality-release", "transform", "apply", "materialize"):
        assert job in commands
    ingest = next(e for e in log.entries() if e["command"] == "ingest")
    assert all(len(i["sha256"]) == 64 for i in ingest["inputs"])
    assert log.verify().ok


def _csv_row(path: str, line: int) -> dict[str, str]:
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    return dict(zip(rows[0], rows[line - 1], strict=True))


def test_a_trace_resolves_to_the_vendor_lines_that_hold_the_input_bars(pipeline):
    symbol = "BLQ"
    found = Tracer(pipeline).trace(VIEW, "rsi_14", symbol)
    assert found.resolved_to_files
    assert found.input_window["bars"] == found.definition["warmup"] + 1 == 15
    bars = pd.read_parquet(pipeline / "data" / "lake" / "bars" / f"{symbol}.parquet")
    window = bars[bars["event_timestamp"] <= pd.Timestamp(found.event_timestamp)].tail(15)
    lines = [n for rows in found.lake_rows for a, b in rows.lines for n in range(a, b + 1)]
    assert len(lines) == 15
    (rows,) = found.lake_rows
    for line, close in zip(lines, window["close"], strict=True):
        record = _csv_row(rows.file, line)
        assert record["symbol"] == symbol and float(record["close"]) == pytest.approx(close)
    import hashlib

    assert rows.sha256 == hashlib.sha256(Path(rows.file).read_bytes()).hexdigest()
    assert "positive:close" in rows.rules_passed


def test_a_trace_names_transform_run_revision_definition_and_materialization(pipeline):
    found = Tracer(pipeline).trace(VIEW, "rsi_14", "AXM")
    assert found.transform_run["command"] == "transform"
    assert found.code_revision == git_revision()
    assert found.definition["function"] == "RSI" and found.definition["parameters"] == {
        "timeperiod": 14
    }
    materialized = found.materialization
    assert materialized["command"] == "materialize"
    assert Path(materialized["whylogs_profile"]).exists()


def test_an_online_trace_follows_the_value_the_store_serves(pipeline):
    found = trace_value(pipeline, f"{VIEW}:rsi_14", "CRX", online=True)
    assert found.online_value == pytest.approx(found.value)
    latest = Tracer(pipeline).trace(VIEW, "rsi_14", "CRX")
    assert found.event_timestamp == latest.event_timestamp


def test_a_trace_at_a_time_takes_the_row_a_training_join_would(pipeline):
    latest = Tracer(pipeline).trace(VIEW, "rsi_14", "AXM")
    earlier = pd.Timestamp(latest.event_timestamp) - pd.Timedelta(hours=1)
    found = Tracer(pipeline).trace(VIEW, "rsi_14", "AXM", at=earlier.to_pydatetime())
    assert pd.Timestamp(found.event_timestamp) < pd.Timestamp(latest.event_timestamp)
    assert pd.Timestamp(found.event_timestamp) <= earlier


def test_tracing_an_unknown_feature_names_the_table(pipeline):
    with pytest.raises(TraceError, match="no feature 'nope'"):
        Tracer(pipeline).trace(VIEW, "nope", "AXM")


def test_cli_trace_json_graph_dot_and_a_bad_target(pipeline):
    runner = CliRunner()
    shown = runner.invoke(
        cli, ["--repo", str(pipeline), "lineage", "trace", f"{VIEW}:rsi_14", "--symbol", "AXM",
              "--json"],
    )  # fmt: skip
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)["lake_rows"][0]["file"].endswith("vendor_0.csv")
    dot = runner.invoke(cli, ["--repo", str(pipeline), "lineage", "graph", "--dot"])
    assert dot.exit_code == 0 and '"lake.bars" -> "job:transform"' in dot.output
    bad = runner.invoke(cli, ["--repo", str(pipeline), "lineage", "trace", "rsi", "--symbol", "A"])
    assert bad.exit_code != 0 and "VIEW:FEATURE" in bad.output


class Marquez:
    """A real local HTTP endpoint that keeps what is POSTed to /api/v1/lineage."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if self.path == "/api/v1/lineage":
                    received.append(json.loads(body))
                    self.send_response(201)
                else:
                    self.send_response(404)
                self.end_headers()

            def log_message(self, *args) -> None:  # noqa: ANN002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Marquez:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:  # noqa: ANN002
        self.server.shutdown()
        self.server.server_close()


def test_http_transport_posts_valid_events_to_a_marquez_endpoint(tmp_path, monkeypatch):
    root = copy_feature_repo(tmp_path / "repo")
    bars = generate_bars(1, 30, seed=5)
    with Marquez() as marquez:
        monkeypatch.setenv("AXIOM_LINEAGE_URL", marquez.url)
        jobs.ingest_frame(root, bars, source="synthetic", origin="<generated>")
    assert [e["eventType"] for e in marquez.received] == ["START", "COMPLETE"]
    for event in marquez.received:
        assert not list(VALIDATOR.iter_errors(event))
    assert not (root / "data" / "lineage" / "events.jsonl").exists()


def test_lineage_off_records_neither_events_nor_audit(tmp_path, monkeypatch):
    root = copy_feature_repo(tmp_path / "repo")
    monkeypatch.setenv("AXIOM_LINEAGE", "off")
    jobs.ingest_frame(root, generate_bars(1, 10, seed=5), source="synthetic", origin="<g>")
    assert not (root / "data" / "lineage" / "events.jsonl").exists()
    assert not (root / "data" / "audit" / "audit.log").exists()


_IN_A_FRESH_PROCESS = """
import sys
from pathlib import Path
from axiom_features.feature_store import open_store
from axiom_features.pipeline import jobs
from axiom_features.synthetic.bars import generate_bars
root = Path(sys.argv[1])
jobs.ingest_frame(root, generate_bars(1, 10, seed=5), source="synthetic", origin="<g>")
print("openlineage.client" in sys.modules)
print(open_store(root).openlineage_emitter is not None, "openlineage.client" in sys.modules)
"""


def _fresh_process(root: Path, lineage: str) -> list[str]:
    """Ingest, then open the store and ask for Feast's emitter, in a new interpreter: whether
    the OpenLineage client was loaded after each step."""
    import os
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", _IN_A_FRESH_PROCESS, str(root)],
        capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1], check=True,
        env={**os.environ, "AXIOM_LINEAGE": lineage},
    )  # fmt: skip
    return done.stdout.strip().splitlines()[-2:]


def test_the_openlineage_client_is_loaded_only_for_feasts_own_events(tmp_path):
    on = copy_feature_repo(tmp_path / "on", project="lineage_on")
    assert _fresh_process(on, "on") == ["False", "True True"]
    assert [e["eventType"] for e in _events(on)] == ["START", "COMPLETE"]
    assert not [e.message for e in _events(on) for e in VALIDATOR.iter_errors(e)]
    off = copy_feature_repo(tmp_path / "off", project="lineage_off")
    assert _fresh_process(off, "off") == ["False", "False False"]


def test_the_dashboard_trace_page_shows_the_chain_down_to_vendor_lines(pipeline, monkeypatch):
    import html
    import urllib.request

    from axiom_features.ops.dashboard import make_server

    monkeypatch.chdir(pipeline)
    server = make_server(pipeline, port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}/trace"
    try:
        with urllib.request.urlopen(f"{base}?target={VIEW}:rsi_14&symbol=BLQ&online=1") as a:
            page = html.unescape(a.read().decode())
        with urllib.request.urlopen(f"{base}?target={VIEW}:rsi_14&symbol=NOPE") as a:
            missing = html.unescape(a.read().decode())
    finally:
        server.shutdown()
        server.server_close()

    found = trace_value(pipeline, f"{VIEW}:rsi_14", "BLQ", online=True)
    (rows,) = found.lake_rows
    spans = ", ".join(f"{a}-{b}" if a != b else str(a) for a, b in rows.lines)
    assert f"<code class='vendor-file'>{rows.file}</code> lines <span class='lines'>{spans}" in page
    assert rows.sha256 in page and f"online serves {found.online_value}" in page
    assert found.transform_run["run_id"] in page and found.materialization["run_id"] in page
    assert "RSI({'timeperiod': 14})" in page
    assert "NOPE" in missing and "<p class='failed'>" in missing
