"""Import a fundamentals CSV into the fundamentals lake.

Column names may be spelled any common way (:mod:`axiom_features.ingest.fundamental_columns`);
a file lacking a key column fails as a whole (IngestError naming file and column). Row by
row, a missing key, an unreadable date or fiscal period, or a value that is present but not
a number keeps the row out, with its physical line and the reason: ``rows_in == accepted +
rejected`` always. Dates without a zone are UTC; a filing date without a time of day is
taken as public at the end of that UTC day, so a filing is never visible to a bar that
closed before it. Outflows (capex, dividends, buybacks) are stored as positive amounts
whatever sign the vendor used. Re-importing a file adds nothing (the lake's key). Under a
run, each stored row keeps the run, the file and its line, and the run's manifest the file's
sha256 (:mod:`axiom_features.lakes.provenance`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from axiom_features.contracts.fundamentals import (
    FUNDAMENTALS_SCHEMA,
    NUMERIC_FUNDAMENTAL_COLUMNS,
    OUTFLOW_COLUMNS,
)
from axiom_features.ingest.csv_reader import FIELD_COUNT_RULE, read_csv
from axiom_features.ingest.fundamental_columns import map_fundamental_columns
from axiom_features.ingest.fundamental_values import (
    join_reasons,
    parse_fiscal_periods,
    parse_numbers,
    parse_symbols,
    parse_times,
)
from axiom_features.ingest.raw import RawFile
from axiom_features.lakes.fundamentals import FundamentalsLake
from axiom_features.lakes.provenance import stamp_one_file
from axiom_features.paths import RepoPaths


@dataclass(frozen=True)
class Rejection:
    """A row kept out of the lake: its physical line in the file and why."""

    line: int
    reason: str


@dataclass(frozen=True)
class FundamentalsImportResult:
    """What one import did; ``rows_in == accepted + rejected`` and
    ``accepted == new_rows + already_present``."""

    path: str
    source: str
    rows_in: int
    accepted: int
    rejected: int
    new_rows: int
    already_present: int
    conflicts: int
    """Of ``already_present``, rows whose values differ from the stored row (stored kept)."""
    rejections: tuple[Rejection, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.rows_in != self.accepted + self.rejected:
            raise AssertionError(
                f"rows_in {self.rows_in} != accepted {self.accepted} + rejected {self.rejected}"
            )
        if self.accepted != self.new_rows + self.already_present:
            raise AssertionError(
                f"accepted {self.accepted} != new {self.new_rows} + present {self.already_present}"
            )


def import_fundamentals_csv(
    path: Path | str, repo: RepoPaths, *, source: str = "file", run_id: str | None = None
) -> FundamentalsImportResult:
    """Read a fundamentals CSV, store its valid rows in the lake, report the rest.

    With ``run_id`` (the import run) each stored row is stamped with its vendor line."""
    raw = read_csv(Path(path))
    filings, reasons = to_contract(raw, source=source, created_at=datetime.now(UTC))
    ok = (reasons == "").to_numpy()
    accepted = stamp_one_file(repo, run_id, raw.name, filings[ok], raw.lines[ok])
    stored = FundamentalsLake(repo).upsert(accepted)
    rejections = tuple(
        Rejection(int(line), str(reason))
        for line, reason in zip(raw.lines[~ok], reasons[~ok], strict=True)
    )
    return FundamentalsImportResult(
        path=raw.name,
        source=source,
        rows_in=len(filings),
        accepted=int(ok.sum()),
        rejected=len(rejections),
        new_rows=stored.new_rows,
        already_present=stored.already_present,
        conflicts=stored.conflicts,
        rejections=rejections,
    )


def to_contract(
    raw: RawFile, *, source: str, created_at: datetime
) -> tuple[pd.DataFrame, pd.Series]:
    """Every row of ``raw`` in the contract's columns, and per row why it fails ("" if not)."""
    columns = map_fundamental_columns(raw.frame.columns, raw.name)
    frame = raw.frame.reset_index(drop=True)

    def source_column(name: str) -> pd.Series:
        return frame[columns[name]]

    out = pd.DataFrame(index=frame.index)
    out["symbol"], symbol_reason = parse_symbols(source_column("symbol"), columns["symbol"])
    years = frame[columns["fiscal_year"]] if "fiscal_year" in columns else None
    out["fiscal_period"], period_reason = parse_fiscal_periods(
        source_column("fiscal_period"), years, columns["fiscal_period"]
    )
    out["period_end"], end_reason = parse_times(
        source_column("period_end"), columns["period_end"], date_only_at_end_of_day=False
    )
    out["filing_timestamp"], filed_reason = parse_times(
        source_column("filing_timestamp"),
        columns["filing_timestamp"],
        date_only_at_end_of_day=True,
    )
    reasons = [symbol_reason, period_reason, end_reason, filed_reason]
    for name in NUMERIC_FUNDAMENTAL_COLUMNS:
        if name not in columns:
            out[name] = float("nan")
            continue
        out[name], reason = parse_numbers(source_column(name), columns[name])
        reasons.append(reason)
    for name in OUTFLOW_COLUMNS:
        out[name] = out[name].abs()
    out["created_timestamp"] = pd.Timestamp(created_at).tz_convert("UTC").floor("us")
    out["created_timestamp"] = out["created_timestamp"].astype("datetime64[us, UTC]")
    out["source"] = source
    misshapen = raw.flags.get(FIELD_COUNT_RULE)
    if misshapen is not None:
        shape_reason = pd.Series("", index=frame.index, dtype=object)
        shape_reason[misshapen] = "field count differs from the header's"
        reasons.insert(0, shape_reason)
    return out[FUNDAMENTALS_SCHEMA.names], join_reasons(*reasons)
