"""What the CLI prints off a terminal: no escape codes, no Feast project notice, and table
cells folded rather than cut at 80 columns."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from axiom_features.cli.output import FoldingConsole
from axiom_features.cli.render import materialize_table
from axiom_features.materialize.run_context import MaterializedView
from tests.online_fixtures import write_offline_tables

SCRIPT = """
import sys
from axiom_features.cli.app import cli
root = sys.argv[1]
for args in (["apply"], ["materialize", "--views", "ta_overlap,ta_volume"]):
    try:
        cli(["--repo", root, *args], standalone_mode=False)
    except SystemExit as exit:
        assert not exit.code, exit.code
"""


def test_redirected_output_has_no_escape_codes_and_no_project_notice(feature_repo: Path) -> None:
    write_offline_tables(feature_repo)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(feature_repo)],
        capture_output=True,
        text=True,
        cwd=feature_repo,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "applied" in done.stdout and "ta_overlap" in done.stdout
    assert "\x1b[" not in done.stdout
    assert "No project found" not in done.stdout


def test_tables_fold_long_cells_at_80_columns() -> None:
    path = "data/profiles/20261130T120000-abcdef/ta_price_transform_with_a_long_name.bin"
    view = MaterializedView("ta_price_transform", "v1a2b3c4d5e6", "s", "e", 1234, path)
    out = io.StringIO()
    FoldingConsole(file=out, width=80, color_system=None).print(
        materialize_table("20261130T120000-abcdef", [view])
    )
    text = out.getvalue()
    assert "…" not in text
    assert max(len(line) for line in text.splitlines()) <= 80
    cells = "".join(ch for ch in text if ch not in "│┃┏┓┗┛┡┩└┘┌┐─━╇├┤┼╋ \n")
    assert path.replace(" ", "") in cells
