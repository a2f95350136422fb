"""Small commands import only what they need: ``axiom ingest`` of a 4-row file loads
neither Feast nor Great Expectations (its gate runs the same checks in DuckDB)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROWS = (
    "symbol,date,open,high,low,close,volume\n"
    "AXM,2024-01-02,10,11,9,10.5,1000\nAXM,2024-01-03,10.5,11.5,10,11,1200\n"
    "BXM,2024-01-02,20,21,19,20.5,500\nBXM,2024-01-03,20.5,21.5,20,21,700\n"
)

PROBE = """
import json, sys
from axiom_features.cli.app import cli
try:
    cli(["--repo", sys.argv[1], "ingest", sys.argv[2]], standalone_mode=False)
finally:
    loaded = sorted({m.split(".")[0] for m in sys.modules} & {"feast", "great_expectations"})
    print("LOADED " + json.dumps(loaded))
"""


def test_ingest_of_a_small_file_imports_neither_feast_nor_gx(tmp_path: Path) -> None:
    csv = tmp_path / "bars.csv"
    csv.write_text(ROWS)
    repo = tmp_path / "repo"
    repo.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(repo), str(csv)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    line = next(x for x in done.stdout.splitlines() if x.startswith("LOADED "))
    assert json.loads(line.removeprefix("LOADED ")) == []
    assert list((repo / "data" / "lake" / "bars").glob("*.parquet"))  # the rows were imported


CALENDARS = """
import json, sys
import exchange_calendars as xcals
built = []
get = xcals.get_calendar
def recording(name, *args, **kwargs):
    built.append(str(kwargs.get("start"))[:4])
    return get(name, *args, **kwargs)
xcals.get_calendar = recording
from axiom_features.cli.app import cli
cli(["--repo", sys.argv[1], "ingest", sys.argv[2]], standalone_mode=False)
print("FIRST_YEARS " + json.dumps(built))
"""


def test_ingest_of_a_small_file_builds_calendars_over_its_own_years(tmp_path: Path) -> None:
    """Building an exchange calendar costs more than the rest of a small import: one
    calendar, from the file's first year, serves every lookup."""
    csv = tmp_path / "bars.csv"
    csv.write_text(ROWS)
    repo = tmp_path / "repo"
    repo.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", CALENDARS, str(repo), str(csv)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    line = next(x for x in done.stdout.splitlines() if x.startswith("FIRST_YEARS "))
    first_years = json.loads(line.removeprefix("FIRST_YEARS "))
    assert first_years == ["2024"]
