"""What a feature family reads for one symbol, gathered from the lakes.

The bars come from the transform job; fundamentals and news from their lakes; the market
frame (closes of every symbol in the lake, wide) is written once per job run and read once
per worker process.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd
import pyarrow as pa

from axiom_features.lakes.bars import BarLake, write_parquet_atomic
from axiom_features.lakes.checksums import write_checked
from axiom_features.paths import RepoPaths
from axiom_features.storage.repo import storage_of
from axiom_features.storage.store import Storage
from transforms.family import EXTRA_INPUTS, SymbolInputs


def market_closes_path(repo: RepoPaths) -> Path:
    return repo.data / "lake" / "market" / "closes.parquet"


def market_closes(repo: RepoPaths) -> pd.DataFrame:
    """Closes of every symbol in the lake: index ``event_timestamp``, one column per symbol."""
    lake = BarLake(repo)
    series = {}
    for symbol in lake.symbols():
        table = lake.storage.read_table(lake.path(symbol), columns=["event_timestamp", "close"])
        frame = table.to_pandas().drop_duplicates("event_timestamp", keep="last")
        series[symbol] = frame.set_index("event_timestamp")["close"]
    wide = pd.DataFrame(series).sort_index()
    wide.index.name = "event_timestamp"
    return wide


def write_market_closes(repo: RepoPaths) -> Path:
    """Write :func:`market_closes` for the job's workers; returns its path."""
    path = market_closes_path(repo)
    storage = storage_of(repo)
    table = pa.Table.from_pandas(market_closes(repo))
    if storage.in_place:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_parquet_atomic(table, path)
    else:
        write_checked(storage, table, path)
    return path


@lru_cache(maxsize=2)
def _read_market(path: str, mtime_ns: int, storage: Storage | None) -> pd.DataFrame:
    if storage is None:
        return pd.read_parquet(path)
    return storage.read_table(Path(path)).to_pandas()


def read_market(path: Path, storage: Storage | None = None) -> pd.DataFrame:
    """The market frame at ``path`` (on ``storage``, else this disk), read once per process
    and version of the file."""
    if storage is None or storage.in_place:
        return _read_market(str(path), path.stat().st_mtime_ns, None)
    return _read_market(str(path), storage.mtime_ns(path), storage)


def symbol_inputs(
    repo: RepoPaths,
    symbol: str,
    bars: pd.DataFrame,
    needs: frozenset[str],
    market_path: Path | None = None,
) -> SymbolInputs:
    """The inputs a family that ``needs`` these extras reads for ``symbol``."""
    unknown = needs - EXTRA_INPUTS
    if unknown:
        raise ValueError(f"unknown family inputs {sorted(unknown)}")
    fundamentals = news = market = None
    if "fundamentals" in needs:
        from axiom_features.lakes.fundamentals import FundamentalsLake

        fundamentals = FundamentalsLake(repo).read(symbol)
    if "news" in needs:
        from axiom_features.lakes.news import NewsLake

        news = NewsLake(repo).read(symbol)
    if "market" in needs:
        if market_path is None:
            raise ValueError("a family needs the market frame but none was written")
        market = read_market(market_path, storage_of(repo))
    return SymbolInputs(symbol, bars, fundamentals=fundamentals, news=news, market=market)
