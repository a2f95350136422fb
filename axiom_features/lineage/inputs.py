"""Which lake rows a feature value was computed from, by the family that computed it.

- Bar features (TA-Lib, microstructure, risk, regime): the bar at ``t`` and the ``warmup``
  bars before it.
- Fundamentals (``transform == "fundamentals"``): the bar at ``t`` (its time, and its close
  for price ratios) and the filings public at ``t`` that the value reads: of the newest
  ``quarters + lag_quarters`` fiscal quarters, each quarter's latest filing; for the meta
  features (counts, days since), every filing public at ``t``.
- Sentiment (``transform == "sentiment"``): the bars ``t_{k-w} .. t_k`` (``w`` the warm-up) and
  the headlines published in ``(t_{k-w}, t_k]``; with warm-up 0 (decay, days since the last
  headline), every headline published at or before ``t``.

Each selection is a table of the lake's rows with their provenance columns.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from axiom_features.lakes.provenance import PROVENANCE_COLUMNS

FUNDAMENTALS = "fundamentals"
SENTIMENT = "sentiment"


def family_of(definition: dict[str, Any]) -> str:
    """``fundamentals``, ``sentiment`` or ``bars``: the lake family a definition reads."""
    transform = str(definition.get("transform", ""))
    return transform if transform in (FUNDAMENTALS, SENTIMENT) else "bars"


def read_stamped(path: Any, *columns: str) -> pa.Table:
    """``columns`` of the lake file at ``path`` plus whichever provenance columns it has
    (one open of the file, read without threads: a trace reads a few thousand rows)."""
    file = pq.ParquetFile(path)
    names = file.schema_arrow.names
    wanted = [*columns, *(c for c in PROVENANCE_COLUMNS if c in names)]
    return file.read(columns=wanted, use_threads=False)


def position_at(stamps: pa.ChunkedArray, ts: Any) -> int:
    """Index of the last ``stamps`` value ``<= ts`` (sorted ascending); -1 if none."""
    scalar = pa.scalar(ts, stamps.type)
    return int(pc.sum(pc.less_equal(stamps, scalar)).as_py() or 0) - 1


def bar_window(bars: pa.Table, last: int, warmup: int) -> pa.Table:
    """The bar at ``last`` and the ``warmup`` bars before it."""
    first = max(0, last - warmup)
    return bars.slice(first, last - first + 1)


def filings_read(filings: pa.Table, ts: Any, definition: dict[str, Any]) -> pa.Table:
    """The filings public at ``ts`` that the fundamentals feature reads (module docstring)."""
    filed = filings["filing_timestamp"]
    public = filings.filter(pc.less_equal(filed, pa.scalar(ts, filed.type)))
    parameters = definition.get("parameters") or {}
    if not parameters or public.num_rows == 0:
        return public
    quarters = int(parameters.get("quarters", 1)) + int(parameters.get("lag_quarters", 0))
    periods = public["fiscal_period"].to_pylist()
    ends = public["period_end"].to_numpy()
    latest: dict[str, int] = {}
    for i, period in enumerate(periods):  # sorted by filing time: the last one wins
        latest[period] = i
    newest = sorted(latest.values(), key=lambda i: ends[i], reverse=True)[:quarters]
    return public.take(np.sort(np.asarray(newest, dtype=np.int64)))


def headlines_read(news: pa.Table, bars: pa.Table, last: int, warmup: int) -> pa.Table:
    """The headlines the sentiment feature of bar ``last`` reads (module docstring)."""
    published = news["published_at"]
    stamps = bars["event_timestamp"]
    upto = pc.less_equal(published, pa.scalar(stamps[last].as_py(), published.type))
    if warmup <= 0:
        return news.filter(upto)
    if last - warmup < 0:
        return news.slice(0, 0)
    after = pc.greater(published, pa.scalar(stamps[last - warmup].as_py(), published.type))
    return news.filter(pc.and_(upto, after))
