"""`axiom quality …` end to end: report (terminal + HTML), blocked exit, quarantine, release."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

FAULTY = Path(__file__).parent / "data" / "bars_with_faults.csv"
AXIOM = str(Path(sys.executable).with_name("axiom"))


def axiom(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [AXIOM, "--repo", str(repo), *args],
        capture_output=True,
        text=True,
        env={"COLUMNS": "200", "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin"},
    )


@pytest.mark.e2e
def test_report_of_a_passed_run_prints_counts_rules_and_writes_html(tmp_path):
    assert axiom(tmp_path, "ingest", str(FAULTY)).returncode == 0

    done = axiom(tmp_path, "quality", "report")

    assert done.returncode == 0, done.stderr
    assert "passed" in done.stdout and "not_null:close" in done.stdout
    assert f"{FAULTY}:7" in done.stdout
    html = next((tmp_path / "data" / "quality" / "reports").glob("*.html")).read_text()
    assert "high_is_max" in html and "score" in html


@pytest.mark.e2e
def test_a_blocked_batch_exits_1_and_its_report_names_rule_file_and_rows(tmp_path):
    done = axiom(tmp_path, "quality", "ingest", str(FAULTY), "--block", "high_is_max")
    assert done.returncode == 1
    assert "high_is_max" in done.stderr and f"{FAULTY}:6" in done.stderr

    report = axiom(tmp_path, "quality", "report")

    assert report.returncode == 1
    assert "blocked by rule high_is_max" in report.stderr and f"{FAULTY}:6" in report.stderr
    assert not (tmp_path / "data" / "lake").exists()


@pytest.mark.e2e
def test_quarantine_export_fix_and_release_through_the_cli(tmp_path):
    axiom(tmp_path, "ingest", str(FAULTY))
    listed = json.loads(axiom(tmp_path, "quality", "quarantine", "--json").stdout)
    assert [r["source_line"] for r in listed] == [6, 7, 8]

    export = tmp_path / "held.csv"
    assert axiom(tmp_path, "quality", "quarantine", "--export", str(export)).returncode == 0
    lines = export.read_text().splitlines()
    fixed = [lines[0]] + [line.replace(",,", ",20.4,") for line in lines if ",7," in line]
    (tmp_path / "fixed.csv").write_text("\n".join(fixed) + "\n")

    done = axiom(tmp_path, "quality", "release", "--fixes", str(tmp_path / "fixed.csv"))

    assert done.returncode == 0, done.stderr
    assert "released" in done.stdout and "│ 1 " in done.stdout
    held = json.loads(axiom(tmp_path, "quality", "quarantine", "--json").stdout)
    assert [r["source_line"] for r in held] == [6, 8]
