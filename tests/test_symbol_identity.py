"""A symbol is the vendor's symbol everywhere; file names may be encoded, data never is."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import psycopg
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from axiom_features.contracts.symbols import symbol_problem
from axiom_features.feature_store import open_store
from axiom_features.ingest import import_bars
from axiom_features.lakes.bars import BarLake
from axiom_features.lakes.symbols import symbol_file, symbol_of
from axiom_features.paths import RepoPaths
from axiom_features.pipeline import jobs
from axiom_features.pipeline.transform_job import run_transform_job
from axiom_features.quality.quarantine import read_quarantine
from axiom_features.synthetic.bars import generate_bars
from tests.conftest import copy_feature_repo
from tests.services import scratch_database

NOW = datetime(2026, 6, 30, 22, 0, tzinfo=UTC)
VIEW = "ta_price_transform"
FEATURE = f"{VIEW}:avgprice"
HOSTILE = ["BRK B", "株式会社", 'QU"OTE', "O'NEIL", "BRK.B", "BRK/B", "../../../../x/EVIL", ".."]


def _bars(symbols: list[str], days: int = 30) -> pd.DataFrame:
    return generate_bars(symbols, days, seed=5, end=NOW)


@pytest.mark.parametrize("symbol", [*HOSTILE, "~tilde", ".hidden", "x" * 64, "株" * 64])
def test_every_symbol_names_a_file_inside_its_folder_and_reads_back(tmp_path, symbol):
    lake = BarLake(RepoPaths(tmp_path))
    path = symbol_file(lake.root, symbol)
    assert path.parent == lake.root and not path.name.startswith(".")
    assert len(path.name.encode()) < 255

    lake.upsert(_bars([symbol], 3))

    assert symbol_of(path) == symbol
    assert lake.symbols() == [symbol]


def test_a_300_character_symbol_is_held_by_a_rule_and_the_others_are_imported(tmp_path):
    names = [f"S{i}" for i in range(5)] + ["X" * 300]
    csv = tmp_path / "prices.csv"
    _bars(names, 5).drop(columns="created_timestamp").to_csv(csv, index=False)
    repo = RepoPaths(tmp_path / "repo")

    result = import_bars(csv, repo, run_id="r1")

    assert result.quarantined == 5 and result.rule_counts["symbol_valid"] == 5
    assert set(read_quarantine(repo)["failed_rules"]) == {"symbol_valid"}
    assert BarLake(repo).symbols() == names[:5]


def test_a_symbol_with_spaces_quotes_or_other_scripts_is_stored_as_given_in_offline_tables(
    tmp_path,
):
    repo = RepoPaths(tmp_path)
    jobs_frame = _bars(HOSTILE[:6])
    from axiom_features.ingest import import_frame

    import_frame(jobs_frame, repo, run_id="r1", source="synthetic")
    run_transform_job(repo, views=[VIEW])

    assert set(BarLake(repo).symbols()) == set(HOSTILE[:6])
    stored = pq.read_table(repo.offline_view(VIEW), columns=["symbol"]).column(0)
    assert set(stored.to_pylist()) == set(HOSTILE[:6])


def test_symbols_from_arguments_never_reach_files_outside_the_lake(tmp_path):
    repo = RepoPaths(tmp_path / "repo")
    from axiom_features.ingest import import_frame

    import_frame(_bars(["AAA"]), repo, run_id="r1", source="synthetic")
    outside = tmp_path / "x" / "EVIL.parquet"
    outside.parent.mkdir()
    outside.write_bytes(symbol_file(repo.bars, "AAA").read_bytes())
    before = outside.read_bytes()

    with pytest.raises(FileNotFoundError, match="no bars"):
        run_transform_job(repo, symbols=["../../../x/EVIL"], views=[VIEW])

    assert outside.read_bytes() == before
    assert not (tmp_path / "x" / "EVIL.parquet.tmp").exists()
    assert sorted(p.name for p in outside.parent.iterdir()) == ["EVIL.parquet"]


# --- the property: random tickers through every store -------------------------------------


@pytest.fixture(scope="module")
def stores(
    tmp_path_factory: pytest.TempPathFactory, postgres_url: str, redis_url: str
) -> Iterator[Path]:
    """A repo applied under the default (SQLite) and production (PostgreSQL, Redis) profiles."""
    saved = {k: os.environ.get(k) for k in ("AXIOM_POSTGRES_URL", "AXIOM_REDIS_URL")}
    cwd = os.getcwd()
    with scratch_database(postgres_url) as url:
        os.environ["AXIOM_POSTGRES_URL"], os.environ["AXIOM_REDIS_URL"] = url, redis_url
        outer = tmp_path_factory.mktemp("symbols")
        root = copy_feature_repo(outer / "repo", project=f"s{uuid.uuid4().hex[:8]}")
        jobs.ingest_frame(root, _bars(["SEED"]), source="synthetic", origin="<test>")
        jobs.transform(root, views=[VIEW])
        jobs.apply(root)
        jobs.apply(root, profile="production")
        try:
            yield root
        finally:
            os.chdir(cwd)
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def _files_outside_data(root: Path) -> set[Path]:
    skip = {root / "data", root / ".tmp"}
    return {
        p
        for p in root.parent.rglob("*")
        if not any(p == s or s in p.parents for s in skip) and "__pycache__" not in p.parts
    }


def _online(root: Path, profile: str, symbols: list[str]) -> dict:
    store = open_store(root, profile)
    rows = [{"symbol": s} for s in symbols]
    return store.get_online_features(features=[FEATURE], entity_rows=rows).to_dict()


def _historical(root: Path, profile: str, symbols: list[str]) -> pd.DataFrame:
    entities = pd.DataFrame({"symbol": symbols, "event_timestamp": [NOW] * len(symbols)})
    job = open_store(root, profile).get_historical_features(entities, features=[FEATURE])
    return job.to_df()


NULL_LIKE = ["NA", "null", "None", "nan", "N/A"]
"""Real tickers (``NA`` is National Bank of Canada) that CSV readers take for missing values."""
CASES = ["brk.b", "Aapl", "ß", "ǅ", " padded ", "x" * 64, "x" * 65]
TICKERS = st.one_of(
    st.text(alphabet=st.characters(blacklist_characters="\x00"), max_size=80),
    st.text(min_size=60, max_size=70),
    st.sampled_from([*HOSTILE, *NULL_LIKE, *CASES]),
).filter(lambda t: "\x00" not in t)


def _vendor_csv(folder: Path, tickers: list[str]) -> Path:
    """The bars as a vendor CSV (fields quoted where CSV needs it, CRLF line ends)."""
    path = folder / f"vendor-{uuid.uuid4().hex[:8]}.csv"
    frame = _bars(tickers).drop(columns=["created_timestamp", "source"])
    frame.to_csv(path, index=False, lineterminator="\r\n", encoding="utf-8")
    return path


@settings(
    max_examples=3,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(tickers=st.lists(TICKERS, min_size=1, max_size=4, unique_by=str.strip))
@example(tickers=[*HOSTILE, *NULL_LIKE, *CASES, "", "A\rB", "A\nB"])
def test_random_tickers_read_back_identical_from_every_store_or_get_a_rule(
    stores, tickers, tmp_path_factory
):
    """A vendor file's ticker is stored as spelled (case kept; surrounding blanks are CSV
    padding) in the lake, the offline tables, PostgreSQL, SQLite and Redis; a ticker no
    store can hold is quarantined with a rule; nothing is written outside ``data/``."""
    root = stores
    os.chdir(root)
    csv = _vendor_csv(tmp_path_factory.mktemp("vendor"), tickers)
    before = _files_outside_data(root)
    spelled = {t: t.strip() for t in tickers}
    accepted = [spelled[t] for t in tickers if symbol_problem(spelled[t]) is None]

    result = jobs.ingest_files(root, [csv])

    held = read_quarantine(RepoPaths(root), result.run_id)
    rejected = {spelled[t] or None for t in tickers} - set(accepted)
    assert set(held["symbol"]) == rejected
    assert held["failed_rules"].str.len().gt(0).all()
    pairs = zip(held["symbol"], held["failed_rules"], strict=True)
    assert all("symbol_valid" in rules for symbol, rules in pairs if symbol)
    lake = BarLake(RepoPaths(root))
    for symbol in accepted:
        assert lake.read_symbol(symbol)["symbol"].unique().tolist() == [symbol]
    if not accepted:
        assert _files_outside_data(root) == before
        return

    jobs.transform(root, symbols=accepted, views=[VIEW], profile="production")
    for profile in ("default", "production"):
        jobs.materialize(root, NOW - timedelta(days=5), NOW, views=[VIEW], profile=profile)
        online = _online(root, profile, accepted)
        assert online["symbol"] == accepted
        assert all(v is not None for v in online["avgprice"]), (profile, online)
        frame = _historical(root, profile, accepted)
        assert sorted(frame["symbol"]) == sorted(accepted)
        assert frame["avgprice"].notna().all(), (profile, frame)

    with psycopg.connect(os.environ["AXIOM_POSTGRES_URL"]) as conn:
        rows = conn.execute(f"SELECT DISTINCT symbol FROM {VIEW}").fetchall()
    assert set(accepted) <= {r[0] for r in rows}
    assert _files_outside_data(root) == before


def test_tickers_keep_their_case_and_null_like_names_in_news_and_fundamentals(tmp_path):
    from axiom_features.ingest.fundamental_values import parse_symbols
    from axiom_features.ingest.raw import as_symbols

    spelled = pd.Series(["brk.b", "NA", " Aapl ", "", None])

    assert as_symbols(spelled).tolist() == ["brk.b", "NA", "Aapl", None, None]
    assert parse_symbols(spelled, "ticker")[0].tolist() == ["brk.b", "NA", "Aapl", None, None]


@pytest.mark.postgres
def test_offline_load_never_reads_a_file_outside_the_offline_tables(tmp_path, fresh_postgres_url):
    from axiom_features.offline.postgres_tables import load_offline_views

    repo = RepoPaths(tmp_path / "repo")
    from axiom_features.ingest import import_frame

    import_frame(_bars(["AAA"]), repo, run_id="r1", source="synthetic")
    run_transform_job(repo, views=[VIEW])
    outside = tmp_path / "repo" / "data" / "x" / "EVIL.parquet"
    outside.parent.mkdir(parents=True)
    outside.write_bytes(symbol_file(repo.offline_view(VIEW), "AAA").read_bytes())

    with psycopg.connect(fresh_postgres_url) as conn:
        result = load_offline_views(conn, repo.offline, [VIEW], symbols=["../../x/EVIL"])
        assert result.files == 0
        loaded = load_offline_views(conn, repo.offline, [VIEW], symbols=["AAA"])
        assert loaded.files == 1
        assert conn.execute(f"SELECT DISTINCT symbol FROM {VIEW}").fetchall() == [("AAA",)]
