"""A truncated offline file: materialize says one line naming the file, health calls the
table unreadable, and a rerun of the transform then the materialization converges."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner

from tests.faults.conftest import END, VIEWS, health, online_snapshot, problems


def test_a_truncated_offline_file_is_named_in_one_line_and_a_rerun_converges(
    repo: Path, built: Path
) -> None:
    from axiom_features.cli.app import cli
    from axiom_features.pipeline import jobs

    broken = repo / "data" / "offline" / VIEWS[0] / "AXM.parquet"
    broken.write_bytes(broken.read_bytes()[:200])
    start, end = (END - timedelta(days=400)).isoformat(), END.isoformat()
    args = ["--repo", str(repo), "materialize", "--views", ",".join(VIEWS),
            "--start", start, "--end", end]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: unreadable offline file {broken}"), lines[0]

    status, detail = problems(health(repo))[("offline", VIEWS[0])]
    assert status == "critical" and "unreadable" in detail

    jobs.transform(repo, views=VIEWS)
    jobs.materialize(repo, END - timedelta(days=400), END, views=VIEWS)
    assert online_snapshot(repo) == online_snapshot(built)
