"""The dashboard end to end in headless Chromium: a demo run's views, its drifted feature marked.

Chromium is Debian's ``chromium`` package: installed here with apt-get when missing and
running as root; otherwise the test is skipped with the reason (and fails under CI=true).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from axiom_features.ops.dashboard import make_server, write_report
from axiom_features.pipeline.demo import DRIFT_VIEW, run_demo
from tests.conftest import copy_feature_repo
from tests.services import unavailable

NOW = datetime(2026, 6, 30, 22, 0, tzinfo=UTC)


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        unavailable("chromium is not installed and cannot be (not root or no apt-get)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    done = subprocess.run(["apt-get", "install", "-y", "chromium"], env=env, capture_output=True)
    if done.returncode != 0:
        subprocess.run(["apt-get", "update"], env=env, capture_output=True)
        done = subprocess.run(
            ["apt-get", "install", "-y", "chromium"], env=env, capture_output=True
        )
    found = shutil.which("chromium")
    if not found:
        unavailable(f"apt-get install chromium failed: {done.stderr.decode()[-500:]}")
    return found


def dump_dom(browser: str, url: str, profile: Path) -> str:
    done = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", f"--user-data-dir={profile}", "--dump-dom", url],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.fixture(scope="module")
def demo_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_feature_repo(tmp_path_factory.mktemp("dash"), project=f"d{uuid.uuid4().hex[:8]}")
    cwd = os.getcwd()
    try:
        run_demo(root, symbols=4, days=300, workers=1, now=NOW)
    finally:
        os.chdir(cwd)
    return root


@pytest.fixture(scope="module")
def url(demo_repo: Path) -> Iterator[str]:
    server = make_server(demo_repo, port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


def _drift_rows(dom: str) -> dict[tuple[str, str], str]:
    pattern = r"<tr data-view=\"([^\"]+)\" data-feature=\"([^\"]+)\" data-status=\"([^\"]+)\""
    return {(v, f): s for v, f, s in re.findall(pattern, dom)}


@pytest.mark.e2e
def test_dashboard_in_headless_chromium_shows_views_and_marks_the_drifted_feature(
    demo_repo: Path, url: str, tmp_path: Path
) -> None:
    browser = chromium()
    dom = dump_dom(browser, url, tmp_path / "chromium-profile")
    assert "Axiom Features monitoring" in dom
    views = set(re.findall(r"<tr id=\"view-[^\"]+\" data-view=\"([^\"]+)\"", dom))
    offline = {p.name for p in (demo_repo / "data" / "offline").iterdir()}
    assert offline <= views
    rows = _drift_rows(dom)
    assert rows[(DRIFT_VIEW, "obv")] == "drift"
    assert re.search(r"data-feature=\"obv\" data-status=\"drift\" class=\"drifted\"", dom)
    assert "<svg" in dom and "Recent runs" in dom
    assert re.search(r"<tr data-key=\"drift_cause:volume\">", dom)  # the open root cause


def test_static_report_holds_the_same_content(demo_repo: Path, tmp_path: Path) -> None:
    html = write_report(demo_repo, tmp_path / "report.html").read_text()
    assert "data-feature='obv' data-status='drift' class='drifted'" in html
    assert "http://" not in html and "https://" not in html  # nothing fetched at view time
