"""``axiom pipeline ui`` serves Dagster's UI on 127.0.0.1; in headless Chromium the asset
graph of the offline group shows every catalogue view, fed by the bars lake."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from axiom_features.orchestration.webserver import LOCATION_MODULE
from tests.browser import Browser, chromium
from tests.run_children import processes_mentioning
from tests.services import free_port
from transforms.catalogue import catalogue


def _wait_until_served(url: str, process: subprocess.Popen, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"axiom pipeline ui exited: {process.stderr.read()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/server_info", timeout=5) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(url)


def test_the_ui_shows_every_view_in_the_asset_graph(feature_repo: Path, tmp_path: Path):
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from axiom_features.cli.app import main; main()",
            "--repo",
            str(feature_repo),
            "pipeline",
            "ui",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    browser = None
    try:
        _wait_until_served(url, process)
        browser = Browser(chromium(), tmp_path / "chromium")
        browser.send(
            "Emulation.setDeviceMetricsOverride",
            width=1400,
            height=9000,
            deviceScaleFactor=1,
            mobile=False,
        )
        browser.goto(f"{url}/locations/{LOCATION_MODULE}/asset-groups/offline")
        views = list(catalogue().views)
        shown = " && ".join(f"names.includes({v!r})" for v in views)
        browser.wait_for(
            "(() => { const names = Array.from(document.querySelectorAll('[data-testid] *, div'))"
            ".map(e => e.textContent.trim()); return " + shown + " && names.includes('bars'); })()",
            timeout=90,
        )
        assert browser.evaluate("document.title") == "Asset groups | offline"
    finally:
        if browser is not None:
            browser.close()
        process.terminate()  # the command stops the webserver it started
        process.wait(timeout=60)
    assert processes_mentioning(f"-p {port}") == []
