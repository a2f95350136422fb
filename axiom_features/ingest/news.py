"""Import headlines from a CSV file into the news lake.

Column names are matched ignoring case, spaces, dots, dashes and underscores:

- ``headline``: headline or title;
- ``published_at``: published_at (publishedAt), published, datetime, date, timestamp or time;
- ``symbol``: symbol or ticker as the vendor spells it (case kept; ``NA`` is a ticker).

Times with an offset (``Z``, ``+02:00``) are converted to UTC; times without one are UTC.
Every row read is either accepted (and offered to the lake) or rejected with reasons naming
the file, the row and the column: ``rows_in == accepted + rejected``, always. Each stored row
keeps the run, the file and its line, and the run's manifest the file's sha256
(:mod:`axiom_features.lakes.provenance`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from axiom_features.contracts.news import NEWS_QUARANTINE_SCHEMA, NEWS_SCHEMA
from axiom_features.ingest.columns import squash
from axiom_features.ingest.csv_reader import FIELD_COUNT_RULE, read_csv
from axiom_features.ingest.errors import IngestError
from axiom_features.ingest.raw import RawFile, as_symbols, as_text
from axiom_features.ingest.timestamps import UTC_DTYPE, to_utc
from axiom_features.lakes.bars import write_parquet_atomic
from axiom_features.lakes.news import NewsLake
from axiom_features.lakes.paths import news_quarantine
from axiom_features.lakes.provenance import stamp_one_file
from axiom_features.paths import RepoPaths
from axiom_features.quality.quarantine import json_records

ALIASES: dict[str, tuple[str, ...]] = {
    "symbol": ("symbol", "ticker"),
    "published_at": ("publishedat", "published", "datetime", "date", "timestamp", "time"),
    "headline": ("headline", "title"),
}
"""Spellings of each required column (squashed), most specific first; the first found wins."""

REJECTION_COLUMNS: tuple[str, ...] = ("source_file", "row", "source_line", "reasons", "raw_record")


@dataclass(frozen=True)
class NewsImportResult:
    """The outcome of one news import: counts that add up, and every rejected row's reasons."""

    path: str
    source: str
    run_id: str
    rows_in: int
    accepted: int
    rejected: int
    new_rows: int
    """Accepted rows the lake did not hold yet."""
    already_present: int
    """Accepted rows whose key the lake already held, or repeated in the file."""
    rejections: pd.DataFrame
    """One row per rejected row: ``source_file``, ``row`` (1 = first data row),
    ``source_line`` (physical line, header = 1), ``reasons`` ("; "-joined), ``raw_record``."""
    quarantine_path: Path | None = None

    def __post_init__(self) -> None:
        if self.rows_in != self.accepted + self.rejected:
            raise AssertionError(
                f"rows_in {self.rows_in} != accepted {self.accepted} + rejected {self.rejected}"
            )
        if self.accepted != self.new_rows + self.already_present:
            raise AssertionError(
                f"accepted {self.accepted} != new {self.new_rows} + present {self.already_present}"
            )

    @property
    def errors(self) -> list[str]:
        """One line per reason: ``<file>: row <n> (line <l>): column '<c>' ...``."""
        return [
            f"{r.source_file}: row {r.row} (line {r.source_line}): {reason}"
            for r in self.rejections.itertuples(index=False)
            for reason in r.reasons.split("; ")
        ]


def map_news_columns(names: list[str], where: str) -> dict[str, str]:
    """Contract column → the file's column; IngestError naming the file and a missing column."""
    by_squash: dict[str, str] = {}
    for name in names:
        by_squash.setdefault(squash(name), name)
    found: dict[str, str] = {}
    for target, spellings in ALIASES.items():
        match = next((by_squash[s] for s in spellings if s in by_squash), None)
        if match is None:
            raise IngestError(
                f"{where}: missing required column '{target}' (accepted spellings: "
                f"{', '.join(spellings)}); columns found: {', '.join(names) or 'none'}"
            )
        found[target] = match
    return found


def _read_rows(
    raw: RawFile, columns: dict[str, str], now: pd.Timestamp
) -> tuple[pd.DataFrame, list[list[str]]]:
    """The contract columns read from ``raw``, and each row's reasons to reject it."""
    sym_col, head_col, time_col = columns["symbol"], columns["headline"], columns["published_at"]
    symbol = as_symbols(raw.frame[sym_col])
    headline = as_text(raw.frame[head_col]).map(lambda h: " ".join(h.split()), na_action="ignore")
    time_text = as_text(raw.frame[time_col])
    published = to_utc(time_text, "UTC")

    reasons: list[list[str]] = [[] for _ in range(len(raw.frame))]
    misshapen = raw.flags.get(FIELD_COUNT_RULE, np.zeros(len(raw.frame), dtype=bool))
    fixed = [
        (misshapen, "wrong number of fields (header and row differ)"),
        (symbol.isna().to_numpy(), f"column '{sym_col}' is empty"),
        (headline.isna().to_numpy(), f"column '{head_col}' is empty"),
        (time_text.isna().to_numpy(), f"column '{time_col}' is empty"),
    ]
    for failed, message in fixed:
        for i in np.flatnonzero(failed):
            reasons[i].append(message)
    for i in np.flatnonzero((time_text.notna() & published.isna()).to_numpy()):
        reasons[i].append(f"column '{time_col}': unreadable time {time_text.iat[i]!r}")
    for i in np.flatnonzero((published > now).to_numpy(dtype=bool)):
        reasons[i].append(f"column '{time_col}': {published.iat[i]} is in the future")
    news = pd.DataFrame({"symbol": symbol, "published_at": published, "headline": headline})
    return news, reasons


def import_news_csv(
    path: Path | str,
    repo: RepoPaths,
    *,
    source: str,
    run_id: str | None = None,
) -> NewsImportResult:
    """Read a headline CSV, store its valid rows in the news lake, quarantine the others.

    ``source`` (the provider) is stamped on every row and is part of the key, so importing
    the same file again adds nothing. Rejected rows go to
    ``data/quarantine/news/<run_id>.parquet``. IngestError when the file cannot be read or
    lacks a required column (the message names the file and the column).
    """
    file = Path(path)
    raw = read_csv(file)
    columns = map_news_columns(list(map(str, raw.frame.columns)), str(file))
    now = pd.Timestamp(datetime.now(UTC)).floor("us")
    run_id = run_id or f"news-{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
    news, reasons = _read_rows(raw, columns, now)
    bad = np.fromiter((bool(r) for r in reasons), dtype=bool, count=len(reasons))

    accepted = news[~bad].assign(source=source, created_timestamp=now)
    accepted["published_at"] = accepted["published_at"].astype(UTC_DTYPE)
    accepted["created_timestamp"] = accepted["created_timestamp"].astype(UTC_DTYPE)
    accepted = stamp_one_file(repo, run_id, raw.name, accepted[NEWS_SCHEMA.names], raw.lines[~bad])
    stored = NewsLake(repo).upsert(accepted)

    rejections = pd.DataFrame(
        {
            "source_file": str(file),
            "row": np.flatnonzero(bad) + 1,
            "source_line": raw.lines[bad],
            "reasons": ["; ".join(r) for r in reasons if r],
            "raw_record": json_records(raw.frame[bad]),
        },
        columns=list(REJECTION_COLUMNS),
    )
    quarantine_path = _quarantine(rejections, repo, run_id, now) if bad.any() else None
    return NewsImportResult(
        path=str(file),
        source=source,
        run_id=run_id,
        rows_in=len(news),
        accepted=int((~bad).sum()),
        rejected=int(bad.sum()),
        new_rows=stored.new_rows,
        already_present=stored.already_present,
        rejections=rejections,
        quarantine_path=quarantine_path,
    )


def _quarantine(rejections: pd.DataFrame, repo: RepoPaths, run_id: str, now: pd.Timestamp) -> Path:
    frame = rejections.drop(columns="row").assign(run_id=run_id, quarantined_at=now)
    frame["quarantined_at"] = frame["quarantined_at"].astype(UTC_DTYPE)
    table = pa.Table.from_pandas(
        frame[NEWS_QUARANTINE_SCHEMA.names], schema=NEWS_QUARANTINE_SCHEMA, preserve_index=False
    )
    path = news_quarantine(repo) / f"{run_id}.parquet"
    write_parquet_atomic(table, path)
    return path
