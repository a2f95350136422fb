"""Vendors ship compressed files: .gz, .bz2, .zst and .zip import like the plain file."""

from __future__ import annotations

import bz2
import gzip
import zipfile

import pytest
import zstandard

from axiom_features.ingest import import_bars
from axiom_features.ingest.errors import IngestError
from axiom_features.lakes.bars import BarLake
from axiom_features.paths import RepoPaths
from axiom_features.synthetic.bars import generate_bars


def _compress(text: bytes, path, kind: str) -> None:
    if kind == "gz":
        path.write_bytes(gzip.compress(text))
    elif kind == "bz2":
        path.write_bytes(bz2.compress(text))
    elif kind == "zst":
        path.write_bytes(zstandard.ZstdCompressor().compress(text))
    else:
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("prices.csv", text)


@pytest.mark.parametrize("kind", ["gz", "bz2", "zst", "zip"])
def test_a_compressed_csv_imports_every_row_and_names_the_file(tmp_path, kind):
    bars = generate_bars(["AAA", "BBB"], 15, seed=6).drop(columns="created_timestamp")
    bars.loc[3, "volume"] = -1.0  # held: the quarantine names the compressed file and line
    path = tmp_path / ("prices.zip" if kind == "zip" else f"prices.csv.{kind}")
    _compress(bars.to_csv(index=False).encode(), path, kind)
    repo = RepoPaths(tmp_path / "repo")

    result = import_bars(path, repo, run_id="r1")

    assert (result.rows_in, result.accepted, result.quarantined) == (30, 29, 1)
    assert result.files[0].path == str(path)
    assert len(BarLake(repo).read()) == 29


def test_a_zip_with_several_files_is_refused_with_a_clear_line(tmp_path):
    path = tmp_path / "two.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.csv", "x")
        archive.writestr("b.csv", "y")

    with pytest.raises(IngestError, match="two.zip: a .zip must hold exactly one file"):
        import_bars(path, RepoPaths(tmp_path / "repo"), run_id="r1")


def test_a_damaged_gzip_is_refused_with_a_clear_line(tmp_path):
    path = tmp_path / "prices.csv.gz"
    path.write_bytes(gzip.compress(b"symbol,date,close\n" * 50)[:30])

    with pytest.raises(IngestError, match="prices.csv.gz: cannot be decompressed"):
        import_bars(path, RepoPaths(tmp_path / "repo"), run_id="r1")
