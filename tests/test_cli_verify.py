"""The CLI of this issue's behaviours: --on-conflict, verify's exit code, repair."""

from __future__ import annotations

import numpy as np
from click.testing import CliRunner

from axiom_features.cli.app import cli
from axiom_features.lakes.bars import BarLake
from axiom_features.lakes.symbols import symbol_file
from axiom_features.paths import RepoPaths
from axiom_features.synthetic.bars import generate_bars


def test_ingest_on_conflict_replace_then_verify_and_repair(tmp_path):
    bars = generate_bars(["BRK B"], 20, seed=3).drop(columns="created_timestamp")
    first, second = tmp_path / "a.csv", tmp_path / "b.csv.gz"
    bars.to_csv(first, index=False)
    corrected = bars.assign(close=bars["close"] * 1.001, high=bars["high"] * 1.002)
    corrected.to_csv(second, index=False, compression="gzip")
    repo = tmp_path / "repo"
    run = CliRunner().invoke

    assert run(cli, ["--repo", str(repo), "ingest", str(first)]).exit_code == 0
    out = run(cli, ["--repo", str(repo), "ingest", str(second), "--on-conflict", "replace"])
    assert out.exit_code == 0, out.output
    assert "20 (20 replaced)" in out.output
    stored = BarLake(RepoPaths(repo)).read_symbol("BRK B")
    assert np.allclose(stored["close"], corrected["close"], rtol=1e-12)

    assert run(cli, ["--repo", str(repo), "verify"]).exit_code == 0
    path = symbol_file(RepoPaths(repo).bars, "BRK B")
    path.write_bytes(path.read_bytes()[:100])
    damaged = run(cli, ["--repo", str(repo), "verify"])
    assert damaged.exit_code == 1 and "BRK%20B.parquet" in damaged.output

    assert run(cli, ["--repo", str(repo), "repair"]).exit_code == 0
    assert run(cli, ["--repo", str(repo), "verify"]).exit_code == 0
