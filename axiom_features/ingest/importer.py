"""Import bars (files or an in-memory frame) through the quality gate into the lake.

Every row read is either accepted (and offered to the lake) or quarantined with its rules,
file and line: ``rows_in == accepted + quarantined`` always, and is checked.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from axiom_features.calendar import check_calendar, fitting_calendar
from axiom_features.contracts import NUMERIC_BAR_COLUMNS
from axiom_features.ingest.corrections import settle
from axiom_features.ingest.locations import (
    file_reports,
    located,
    locator,
    quarantine_table,
    with_locations,
)
from axiom_features.ingest.normalize import NormalizedFile, normalize
from axiom_features.ingest.raw import RawFile
from axiom_features.ingest.results import FileReport, ImportResult, QualityOptions
from axiom_features.ingest.sources import TEXT_SUFFIXES, expand, read_source
from axiom_features.ingest.stamps import stamped
from axiom_features.ingest.timestamps import UTC_DTYPE, check_timezone
from axiom_features.lakes.bars import BarLake
from axiom_features.lakes.history import keep_replaced, mark_for_recompute
from axiom_features.lakes.transaction import recover, transaction
from axiom_features.paths import RepoPaths
from axiom_features.quality.context import GateContext
from axiom_features.quality.gate import BatchBlocked, GateResult, validate_bars
from axiom_features.quality.metrics import BatchMetrics, MetricStore, compute_metrics
from axiom_features.quality.quarantine import not_held_before, write_quarantine
from axiom_features.quality.store import verdict_path, write_findings, write_json
from axiom_features.quality.verdict import blocked_verdict, passed_verdict


def import_bars(
    paths: Path | str | Iterable[Path | str],
    repo: RepoPaths,
    *,
    run_id: str,
    timezone: str = "UTC",
    source: str = "file",
    use_adjusted: bool = False,
    calendar: str = "XNYS",
    quality: QualityOptions | None = None,
    chunk_rows: int | None = None,
) -> ImportResult:
    """Read bar files (CSV/Parquet, or directories of them), gate them, store the clean rows.

    A single CSV file larger than ``STREAM_BYTES`` (or any single CSV when ``chunk_rows`` is
    given) is streamed in chunks of ``chunk_rows`` (default 200,000) rows with bounded
    memory; see :mod:`axiom_features.ingest.streamed`.

    ``timezone`` is the zone of timestamps without an offset; values that are dates only are
    stamped at the close of that date's session on the exchange ``calendar``.
    Every file is read and converted before anything is written, so an unreadable file
    (IngestError) leaves the lake and the quarantine untouched; the lake files and the
    quarantine are then published in one transaction (all or nothing, even under kill -9).
    """
    check_timezone(timezone)
    check_calendar(calendar)
    recover(repo)
    created_at = _now()
    quality = quality or QualityOptions()
    files = expand(paths)
    if _streamable(files, chunk_rows):
        return _import_streamed(
            files[0],
            repo,
            run_id=run_id,
            chunk_rows=chunk_rows or STREAM_CHUNK_ROWS,
            convert=lambda raw: normalize(
                raw,
                timezone=timezone,
                source=source,
                created_at=created_at,
                use_adjusted=use_adjusted,
                calendar=calendar,
            ),
            source=source,
            timezone=timezone,
            use_adjusted=use_adjusted,
            calendar=calendar,
            quality=quality,
        )
    parts = [
        normalize(
            read_source(path),
            timezone=timezone,
            source=source,
            created_at=created_at,
            use_adjusted=use_adjusted,
            calendar=calendar,
        )
        for path in files
    ]
    return _gate_and_store(
        parts,
        repo,
        run_id=run_id,
        source=source,
        timezone=timezone,
        use_adjusted=use_adjusted,
        calendar=calendar,
        quality=quality,
    )


STREAM_BYTES = 256 * 2**20
"""A single CSV file larger than this is streamed in chunks."""
STREAM_CHUNK_ROWS = 200_000


def _streamable(files: list[Path], chunk_rows: int | None) -> bool:
    if len(files) != 1 or files[0].suffix.lower() not in TEXT_SUFFIXES:
        return False
    return chunk_rows is not None or files[0].stat().st_size > STREAM_BYTES


def _import_streamed(
    path: Path,
    repo: RepoPaths,
    *,
    run_id: str,
    chunk_rows: int,
    convert,  # noqa: ANN001 - RawFile -> NormalizedFile
    source: str,
    timezone: str,
    use_adjusted: bool,
    calendar: str,
    quality: QualityOptions,
) -> ImportResult:
    from axiom_features.ingest.streamed import stream_csv
    from axiom_features.quality.metrics.dimensions import combine_metrics

    now = pd.Timestamp(quality.now or datetime.now(UTC))
    chunk_metrics: list[BatchMetrics] = []
    examples: dict = {}
    found: list[pd.DataFrame] = []

    def measure(part: NormalizedFile, gate: GateResult) -> None:
        chunk_metrics.append(
            compute_metrics(
                part.bars,
                accepted=gate.accepted,
                held_labels=gate.rejected["failed_rules"],
                warn_labels=gate.warnings,
                run_id=run_id,
                source=source,
                now=now,
                calendar=calendar,
            )
        )
        verdict = passed_verdict(run_id, gate, quality.rules(), locator([part]), part.bars)
        for rule, shown in verdict["examples"].items():
            examples.setdefault(rule, shown)
        if len(gate.findings):
            found.append(with_locations(gate.findings, locator([part]), run_id))

    options = {"now": now, "calendar": calendar, "allowed_symbols": quality.allowed_symbols}
    try:
        totals = stream_csv(
            path,
            repo,
            run_id=run_id,
            chunk_rows=chunk_rows,
            convert=convert,
            gate_options=options,
            rules=quality.rules(),
            on_conflict=quality.on_conflict,
            on_chunk=measure,
        )
    except BatchBlocked as exc:
        rows_read = sum(m.rows_in for m in chunk_metrics)
        verdict = blocked_verdict(run_id, exc, quality.rules(), rows_read, str(path))
        write_json(verdict_path(repo, run_id), verdict)
        raise
    if totals.replaced_from:
        mark_for_recompute(repo, totals.replaced_from)
    metrics = combine_metrics(chunk_metrics, now=now, calendar=calendar)
    MetricStore(repo).append(metrics)
    if found:
        write_findings(repo, run_id, pd.concat(found, ignore_index=True).drop(columns="row"))
    verdict = {
        "run_id": run_id,
        "status": "passed",
        "checked_at": datetime.now(UTC).isoformat(),
        "rows_in": totals.rows_in,
        "accepted": totals.accepted,
        "quarantined": totals.quarantined,
        "warned": totals.warned,
        "rule_counts": dict(sorted(totals.rule_counts.items())),
        "rules": {
            r.name: {"severity": str(r.severity), "description": r.description}
            for r in quality.rules()
        },  # fmt: skip
        "examples": examples,
        "chunks": totals.chunks,
        "findings": sum(len(f) for f in found),
    }
    write_json(verdict_path(repo, run_id), verdict)
    held = totals.quarantined
    return ImportResult(
        run_id=run_id,
        source=source,
        timezone=timezone,
        use_adjusted=use_adjusted,
        rows_in=totals.rows_in,
        accepted=totals.accepted,
        quarantined=held,
        new_rows=totals.stored.new_rows,
        already_present=totals.stored.already_present,
        conflicts=totals.stored.conflicts,
        corrections=totals.corrections,
        replaced=totals.replaced,
        on_conflict=quality.on_conflict,
        rule_counts=dict(totals.rule_counts),
        files=[
            FileReport(
                path=str(path),
                rows_in=totals.rows_in,
                accepted=totals.accepted,
                quarantined=held,
                symbols=tuple(sorted(totals.symbols)),
                notes=(*totals.notes, f"streamed in {totals.chunks} chunk(s)"),
            )
        ],
        quarantine_path=(
            (repo.quarantine / f"{run_id}.parquet") if held > totals.already_held else None
        ),
        already_held=totals.already_held,
        warned=totals.warned,
        findings=sum(len(f) for f in found),
        metrics=metrics,
    )


def import_frame(
    bars: pd.DataFrame,
    repo: RepoPaths,
    *,
    run_id: str,
    source: str,
    origin: str = "<generated>",
    calendar: str = "XNYS",
    quality: QualityOptions | None = None,
) -> ImportResult:
    """Gate an in-memory bars frame already in the contract's columns, store the clean rows.

    ``source`` is stamped on every row; ``created_timestamp`` is kept when present, else set
    to now. Quarantined rows name ``origin`` as their file and their row number (from 1) as line.
    """
    recover(repo)
    raw = bars.reset_index(drop=True)
    lines = np.arange(1, len(raw) + 1, dtype=np.int64)
    part = NormalizedFile(
        raw=RawFile(path=Path(origin), frame=raw, lines=lines),
        bars=_contract_dtypes(raw, source=source, created_at=_now()),
        failures=pd.Series([""] * len(raw), dtype=object),
        notes=[],
    )
    return _gate_and_store(
        [part],
        repo,
        run_id=run_id,
        source=source,
        timezone="UTC",
        use_adjusted=False,
        calendar=calendar,
        quality=quality or QualityOptions(),
    )


def _now() -> pd.Timestamp:
    return pd.Timestamp(datetime.now(UTC)).floor("us")


def _contract_dtypes(frame: pd.DataFrame, *, source: str, created_at: pd.Timestamp) -> pd.DataFrame:
    """Lossless casts to the contract (tz-aware → UTC µs, integers → float64) and stamps."""
    bars = frame.copy()
    if "created_timestamp" not in bars:
        bars["created_timestamp"] = created_at
    for column in ("event_timestamp", "created_timestamp"):
        if column in bars and isinstance(bars[column].dtype, pd.DatetimeTZDtype):
            bars[column] = bars[column].dt.tz_convert("UTC").astype(UTC_DTYPE)
    for column in NUMERIC_BAR_COLUMNS:
        if column in bars and pd.api.types.is_integer_dtype(bars[column].dtype):
            bars[column] = bars[column].astype("float64")
    bars["source"] = source
    return bars


def _gate_and_store(
    parts: Sequence[NormalizedFile],
    repo: RepoPaths,
    *,
    run_id: str,
    source: str,
    timezone: str,
    use_adjusted: bool,
    calendar: str,
    quality: QualityOptions,
) -> ImportResult:
    bars = pd.concat([p.bars for p in parts], ignore_index=True)
    failures = pd.concat([p.failures for p in parts], ignore_index=True)
    where = parts[0].raw.name if len(parts) == 1 else f"{len(parts)} files"
    rules = quality.rules()
    now = pd.Timestamp(quality.now or datetime.now(UTC))
    context = GateContext(
        now=now,
        calendar=calendar,
        allowed_symbols=quality.allowed_symbols,
        engine=quality.engine,
    )
    try:
        gate = validate_bars(
            bars, prior_failures=failures, rules=rules, where=where, context=context
        )
    except BatchBlocked as exc:
        blocked = located(exc, parts)
        write_json(
            verdict_path(repo, run_id), blocked_verdict(run_id, blocked, rules, len(bars), where)
        )
        raise blocked from exc

    quarantine_path = None
    reference = _reference(repo, gate.accepted, quality.reference_source)
    lake = BarLake(repo)
    gate, found = settle(lake, gate, quality.on_conflict)
    replacing = found.index if quality.on_conflict == "replace" else found.index[:0]
    replaced = 0
    with transaction(repo, run_id) as tx:
        held = not_held_before(quarantine_table(gate, parts, run_id), repo, run_id)
        if held.num_rows:
            quarantine_path = write_quarantine(held, repo, run_id, tx)
        rows = stamped(gate.accepted, parts, repo, run_id)
        stored = lake.upsert(rows.drop(index=replacing), tx)
        if len(replacing):
            old = lake.replace_rows(rows.loc[replacing], tx)
            keep_replaced(repo, old, run_id=run_id, replaced_at=_now(), transaction=tx)
            replaced = len(replacing)
    if replaced:
        earliest = found.groupby("symbol")["event_timestamp"].min()
        mark_for_recompute(repo, earliest.to_dict())
    metrics = compute_metrics(
        bars,
        accepted=gate.accepted,
        held_labels=gate.rejected["failed_rules"],
        warn_labels=gate.warnings,
        run_id=run_id,
        source=source,
        now=now,
        calendar=calendar,
        conflicts=stored.conflicts,
        reference=reference,
        tolerance=quality.tolerance,
    )
    MetricStore(repo).append(metrics)
    locate = locator(parts)
    write_json(verdict_path(repo, run_id), passed_verdict(run_id, gate, rules, locate, bars))
    write_findings(repo, run_id, with_locations(gate.findings, locate, run_id))

    return ImportResult(
        run_id=run_id,
        source=source,
        timezone=timezone,
        use_adjusted=use_adjusted,
        rows_in=len(bars),
        accepted=len(gate.accepted),
        quarantined=len(gate.rejected),
        new_rows=stored.new_rows,
        already_present=stored.already_present,
        conflicts=stored.conflicts,
        corrections=len(found),
        replaced=replaced,
        already_held=len(gate.rejected) - held.num_rows,
        hints=calendar_hints(bars, calendar),
        on_conflict=quality.on_conflict,
        rule_counts=gate.rule_counts,
        files=file_reports(gate, parts),
        quarantine_path=quarantine_path,
        warned=len(gate.warnings),
        findings=len(gate.findings),
        metrics=metrics,
    )


def calendar_hints(bars: pd.DataFrame, calendar: str) -> list[str]:
    """A hint naming the calendar that fits when most bars fall outside ``calendar``."""
    fits = fitting_calendar(bars["event_timestamp"], calendar)
    if fits is None:
        return []
    return [f"most bars fall outside the {calendar} calendar; --calendar {fits} fits them"]


def _reference(repo: RepoPaths, accepted: pd.DataFrame, source: str | None) -> pd.DataFrame | None:
    if source is None or accepted.empty:
        return None
    symbols = sorted(accepted["symbol"].dropna().unique())
    stamps = accepted["event_timestamp"]
    table = BarLake(repo).read(symbols, stamps.min(), stamps.max()).to_pandas()
    return table[table["source"] == source]
