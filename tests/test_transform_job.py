"""The transform job: lake bars in, one offline Parquet table per view and symbol out."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from axiom_features.contracts import BAR_SCHEMA, UTC_TIMESTAMP, ContractError
from axiom_features.paths import RepoPaths
from axiom_features.pipeline.transform_job import run_transform_job
from tests.test_transforms import DAYS, synthetic_bars
from transforms.catalogue import catalogue
from transforms.compute import compute_view

SYMBOLS = ("AAA", "BBB", "CCC")


def write_bars(repo: RepoPaths, symbol: str, bars: pd.DataFrame) -> None:
    frame = bars.assign(
        symbol=symbol, created_timestamp=pd.Timestamp("2024-01-01", tz="UTC"), source="test"
    )
    table = pa.Table.from_pandas(frame, preserve_index=False).select(BAR_SCHEMA.names)
    repo.bars.mkdir(parents=True, exist_ok=True)
    pq.write_table(table.cast(BAR_SCHEMA), repo.bars / f"{symbol}.parquet")


@pytest.fixture()
def repo(tmp_path: Path) -> RepoPaths:
    paths = RepoPaths(tmp_path / "repo")
    for seed, symbol in enumerate(SYMBOLS):
        write_bars(paths, symbol, synthetic_bars(seed))
    return paths


def test_writes_one_file_per_view_and_symbol_with_the_offline_schema(repo):
    result = run_transform_job(repo)
    views = catalogue().views
    assert result.symbols == len(SYMBOLS)
    assert result.views == list(views)
    assert result.rows_per_view == {name: DAYS * len(SYMBOLS) for name in views}
    assert sorted(result.paths) == sorted(
        repo.offline_view(v) / f"{s}.parquet" for v in views for s in SYMBOLS
    )
    for name, view in views.items():
        for symbol in SYMBOLS:
            table = pq.read_table(repo.offline_view(name) / f"{symbol}.parquet")
            assert table.num_rows == DAYS
            assert table.column_names == [
                "symbol",
                "event_timestamp",
                "created_timestamp",
                *view.feature_names,
            ]
            assert table.schema.field("symbol").type == pa.string()
            assert table.schema.field("event_timestamp").type == UTC_TIMESTAMP
            assert table.schema.field("created_timestamp").type == UTC_TIMESTAMP
            assert all(table.schema.field(f).type == pa.float64() for f in view.feature_names)
            assert table.schema.metadata[b"view_version"] == view.version.encode()
            assert set(table.column("symbol").to_pylist()) == {symbol}


def test_values_are_the_catalogue_computation_and_created_is_the_run_time(repo):
    result = run_transform_job(repo, symbols=["BBB"], views=["ta_momentum"])
    view = catalogue().view("ta_momentum")
    written = pq.read_table(repo.offline_view(view.name) / "BBB.parquet").to_pandas()
    bars = pq.read_table(repo.bars / "BBB.parquet").to_pandas()
    pd.testing.assert_frame_equal(
        written[view.feature_names], compute_view(view, bars), check_exact=True
    )
    assert (written.event_timestamp == bars.event_timestamp).all()
    assert (written.created_timestamp == pd.Timestamp(result.created_timestamp)).all()
    assert result.rows_per_view == {"ta_momentum": DAYS}
    assert not (repo.offline_view("ta_overlap")).exists()


def test_one_and_two_workers_write_identical_tables(repo, tmp_path):
    other = RepoPaths(tmp_path / "other")
    shutil.copytree(repo.bars, other.bars)
    seen: list[tuple[int, int]] = []
    one = run_transform_job(repo, workers=1)
    two = run_transform_job(
        other, workers=2, batch_size=1, progress=lambda done, total: seen.append((done, total))
    )
    assert one.rows_per_view == two.rows_per_view
    assert seen[-1] == (len(SYMBOLS), len(SYMBOLS))
    for view in catalogue().views:
        for symbol in SYMBOLS:
            a = pq.read_table(repo.offline_view(view) / f"{symbol}.parquet")
            b = pq.read_table(other.offline_view(view) / f"{symbol}.parquet")
            assert a.schema == b.schema
            pd.testing.assert_frame_equal(
                a.drop(["created_timestamp"]).to_pandas(),
                b.drop(["created_timestamp"]).to_pandas(),
                check_exact=True,
            )


def test_leaves_no_temporary_files(repo):
    run_transform_job(repo, views=["ta_cycle"])
    assert sorted(p.name for p in repo.offline_view("ta_cycle").iterdir()) == [
        f"{s}.parquet" for s in sorted(SYMBOLS)
    ]


def test_unsorted_bars_are_put_in_time_order(repo):
    bars = synthetic_bars(0)
    write_bars(repo, "AAA", bars.iloc[::-1])
    run_transform_job(repo, symbols=["AAA"], views=["ta_overlap"])
    written = pq.read_table(repo.offline_view("ta_overlap") / "AAA.parquet").to_pandas()
    assert written.event_timestamp.is_monotonic_increasing
    expected = compute_view(catalogue().view("ta_overlap"), bars)
    np.testing.assert_array_equal(written.sma_20.to_numpy(), expected.sma_20.to_numpy())


def test_duplicate_timestamps_are_rejected(repo):
    bars = synthetic_bars(0)
    write_bars(repo, "AAA", pd.concat([bars, bars.iloc[-1:]]))
    with pytest.raises(ContractError, match="duplicate"):
        run_transform_job(repo, symbols=["AAA"])


def test_unknown_symbols_and_views_fail_before_writing(repo):
    with pytest.raises(FileNotFoundError, match="ZZZ"):
        run_transform_job(repo, symbols=["AAA", "ZZZ"])
    with pytest.raises(KeyError, match="nope"):
        run_transform_job(repo, views=["nope"])
    assert not repo.offline.exists()


def test_empty_bars_file_gives_an_empty_table(repo):
    write_bars(repo, "AAA", synthetic_bars(0).iloc[:0])
    result = run_transform_job(repo, symbols=["AAA"], views=["ta_volume"])
    table = pq.read_table(repo.offline_view("ta_volume") / "AAA.parquet")
    assert table.num_rows == 0 and result.rows_per_view == {"ta_volume": 0}
