"""Traces of fundamentals and sentiment features reach the vendor file lines of the filings
and headlines behind them (and the bar), each with the file's sha256."""

from __future__ import annotations

import csv
import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from axiom_features.lakes.fundamentals import FundamentalsLake
from axiom_features.lakes.news import NewsLake
from axiom_features.lineage.lookup import trace_value
from axiom_features.lineage.render import render_trace
from axiom_features.lineage.trace import LakeRows, Trace
from axiom_features.paths import RepoPaths
from axiom_features.pipeline import jobs
from axiom_features.synthetic.bars import generate_bars
from axiom_features.synthetic.fundamentals import generate_fundamentals
from axiom_features.synthetic.news import generate_news
from tests.conftest import copy_feature_repo

VIEWS = ["fundamentals_profitability", "fundamentals_meta", "sentiment_daily", "sentiment_trend"]
SYMBOLS = 3
DAYS = 400


def _vendor_csv(frame: pd.DataFrame, path: Path) -> Path:
    frame.drop(columns=["created_timestamp", "source"]).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Bars, filings and headlines imported from vendor CSVs; fundamentals and sentiment
    views computed and materialized."""
    root = copy_feature_repo(tmp_path_factory.mktemp("sources") / "repo", project="sources_t")
    bars = generate_bars(SYMBOLS, DAYS, seed=5)
    names = sorted(bars["symbol"].unique())
    sessions = pd.DatetimeIndex(bars["event_timestamp"].drop_duplicates().sort_values())
    filings = generate_fundamentals(
        names, start=sessions[0] - timedelta(days=550), end=sessions[-1], seed=5
    )
    news = generate_news(names, sessions, seed=5, per_day=1.0, bars=bars)
    jobs.ingest_files(root, [_vendor_csv(bars, root / "bars.csv")])
    jobs.ingest_fundamentals(root, _vendor_csv(filings, root / "filings.csv"))
    jobs.ingest_news(root, _vendor_csv(news, root / "headlines.csv"))
    jobs.transform(root, views=VIEWS)
    jobs.apply(root)
    jobs.materialize(root, datetime(2000, 1, 1, tzinfo=UTC), datetime.now(UTC), views=VIEWS)
    return root


def _lines(rows: LakeRows) -> list[int]:
    return [n for a, b in rows.lines for n in range(a, b + 1)]


def _csv_rows(path: str, lines: list[int]) -> list[dict[str, str]]:
    """The records at physical ``lines`` (header = line 1) of a vendor CSV."""
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    return [dict(zip(rows[0], rows[line - 1], strict=True)) for line in lines]


def _of(found: Trace, lake: str) -> LakeRows:
    (rows,) = [r for r in found.lake_rows if r.lake == lake]
    assert rows.sha256 == hashlib.sha256(Path(rows.file).read_bytes()).hexdigest()
    return rows


def test_lake_rows_of_fundamentals_and_news_keep_run_file_and_line(repo):
    paths = RepoPaths(repo)
    symbol = FundamentalsLake(paths).symbols()[0]
    for lake in (FundamentalsLake(paths), NewsLake(paths)):
        stored = lake.load(symbol).to_pandas()
        assert stored["ingest_run"].notna().all() and (stored["ingest_file"] == 0).all()
        assert stored["ingest_line"].is_unique and stored["ingest_line"].min() >= 2
        assert "ingest_run" not in lake.read(symbol)  # what the transforms read: the contract


def test_a_fundamentals_trace_names_the_filing_lines_and_the_bar(repo):
    symbol = FundamentalsLake(RepoPaths(repo)).symbols()[0]
    found = trace_value(repo, "fundamentals_profitability:f_roe", symbol, online=True)
    assert found.resolved_to_files and found.online_value == pytest.approx(found.value)
    filings = _of(found, "fundamentals")
    records = _csv_rows(filings.file, _lines(filings))
    # return on equity reads four quarters of earnings (TTM) and the latest equity
    assert len(records) == filings.rows == found.input_window["filings"] == 4
    assert {r["symbol"] for r in records} == {symbol}
    assert sorted(r["fiscal_period"] for r in records) == sorted(
        found.input_window["fiscal_periods"]
    )
    at = pd.Timestamp(found.event_timestamp)
    assert all(pd.Timestamp(r["filing_timestamp"]) <= at for r in records)
    (bar_line,) = _lines(_of(found, "bars"))
    (bar,) = _csv_rows(_of(found, "bars").file, [bar_line])
    assert bar["symbol"] == symbol and pd.Timestamp(bar["event_timestamp"]) == at
    assert "fundamentals rows from" in render_trace(found)


def test_a_meta_fundamentals_trace_names_every_filing_public_at_the_bar(repo):
    symbol = FundamentalsLake(RepoPaths(repo)).symbols()[1]
    found = trace_value(repo, "fundamentals_meta:f_filings_known", symbol, online=True)
    filings = _of(found, "fundamentals")
    assert found.resolved_to_files and filings.rows == found.value


def test_a_sentiment_trace_names_the_headline_lines_of_its_bar_windows(repo):
    symbol = NewsLake(RepoPaths(repo)).symbols()[0]
    found = trace_value(repo, "sentiment_trend:sent_count_20b", symbol, online=True)
    assert found.resolved_to_files and found.value > 0
    headlines = _of(found, "news")
    records = _csv_rows(headlines.file, _lines(headlines))
    assert len(records) == headlines.rows == found.value  # the count the value reports
    assert {r["symbol"] for r in records} == {symbol}
    assert found.input_window["bars"] == 21
    first, last = pd.Timestamp(found.input_window["first_bar"]), pd.Timestamp(found.event_timestamp)
    assert all(first < pd.Timestamp(r["published_at"]) <= last for r in records)
    daily = trace_value(repo, "sentiment_daily:sent_count", symbol, at=last.to_pydatetime())
    rows = [r for r in daily.lake_rows if r.lake == "news"]
    assert sum(r.rows for r in rows) == (daily.value or 0)


def test_imports_of_filings_and_headlines_emit_events_naming_each_file_sha256(repo):
    import json

    import jsonschema

    from tests.openlineage_schema import RUN_EVENT

    validator = jsonschema.Draft202012Validator(
        RUN_EVENT, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    path = repo / "data" / "lineage" / "events.jsonl"
    events = [json.loads(line) for line in path.read_text().splitlines()]
    for job, name in (("ingest-fundamentals", "filings.csv"), ("ingest-news", "headlines.csv")):
        mine = [e for e in events if e["job"]["name"] == job]
        assert [e["eventType"] for e in mine] == ["START", "COMPLETE"]
        assert not [e.message for e in mine for e in validator.iter_errors(e)]
        (source,) = mine[-1]["inputs"]
        sha = hashlib.sha256((repo / name).read_bytes()).hexdigest()
        assert source["facets"]["version"]["datasetVersion"] == sha
