"""Row-level provenance: from one feature value back to the vendor file lines behind it.

A value is found in its offline table (the row at or before ``at``, or the row the online
store serves); the row's ``created_timestamp`` names the transform run that wrote it; the
view version names the catalogue definition; the definition (its family, warm-up and
parameters, :mod:`.inputs`) gives the input bars, filings or headlines; those lake rows carry
the import run, file number and line each came from, and the run's manifest gives the file's
path and sha256. The import's verdict gives the
rules the rows passed (and findings, the warnings on those lines); the materialization run
and the drift reports complete the chain.

A :class:`Tracer` keeps what many traces share (run records, manifests, verdicts, drift
reports) in memory.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from axiom_features.lakes.bars import BarLake
from axiom_features.lakes.paths import fundamentals_dir, news_root
from axiom_features.lakes.provenance import read_manifest
from axiom_features.lakes.symbols import symbol_file
from axiom_features.lineage.inputs import (
    FUNDAMENTALS,
    SENTIMENT,
    bar_window,
    family_of,
    filings_read,
    headlines_read,
    position_at,
    read_stamped,
)
from axiom_features.lineage.revision import run_revision
from axiom_features.paths import RepoPaths
from axiom_features.pipeline.runs import RunLog, RunRecord
from axiom_features.pipeline.versions import load_snapshot

FILING_COLUMNS = ("fiscal_period", "period_end", "filing_timestamp")


class TraceError(LookupError):
    """The value cannot be traced (no such view, feature, symbol or row)."""


@dataclass
class LakeRows:
    """Lake rows of one vendor file behind a value."""

    import_run: str | None
    file: str | None
    sha256: str | None
    lines: list[list[int]]
    """Line ranges ``[first, last]`` (inclusive)."""
    rows: int
    rules_passed: list[str] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    lake: str = "bars"
    """The lake the rows are in: ``bars``, ``fundamentals`` or ``news``."""


@dataclass
class Trace:
    view: str
    feature: str
    symbol: str
    event_timestamp: str
    value: float | None
    offline_table: str
    view_version: str
    transform_run: dict[str, Any] | None
    code_revision: str | None
    definition: dict[str, Any]
    input_window: dict[str, Any]
    lake_rows: list[LakeRows]
    materialization: dict[str, Any] | None
    online_value: float | None = None

    @property
    def resolved_to_files(self) -> bool:
        """Every input row (bars, and the filings or headlines of those families) resolved
        to a vendor file, its lines and its sha256."""
        return bool(self.lake_rows) and all(r.file and r.lines and r.sha256 for r in self.lake_rows)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Tracer:
    """Traces values of one repository; caches run records, manifests and verdicts."""

    def __init__(self, root: Path) -> None:
        self.repo = RepoPaths(root)
        self._runs: list[RunRecord] | None = None
        self._manifests: dict[str, dict] = {}
        self._verdicts: dict[str, dict | None] = {}
        self._findings: dict[str, dict[tuple[str, int], list[str]]] = {}
        self._definitions: dict[tuple[str, str], dict] = {}
        self._revisions: dict[str, str | None] = {}
        self._drifts: dict[str, list[dict[str, Any]] | None] = {}

    # -- the public entry point -------------------------------------------------------------

    def trace(
        self,
        view: str,
        feature: str,
        symbol: str,
        *,
        at: datetime | None = None,
        online_value: float | None = None,
        online_timestamp: datetime | None = None,
    ) -> Trace:
        """The provenance of ``view:feature`` for ``symbol``: the row at or before ``at`` (or
        at ``online_timestamp``, the row the online store serves; default the latest)."""
        table, path, version = self._offline(view, feature, symbol)
        stamps = table["event_timestamp"].to_numpy()
        when = online_timestamp or at
        if when is None:
            index = len(stamps) - 1
        else:
            index = (
                int(np.searchsorted(stamps, np.datetime64(_utc(when).tz_localize(None)), "right"))
                - 1
            )
        if index < 0:
            raise TraceError(f"{path}: no row of {symbol} at or before {when}")
        ts = pd.Timestamp(stamps[index], tz="UTC")
        created = pd.Timestamp(table["created_timestamp"].to_numpy()[index], tz="UTC")
        definition = self._definition(view, version, feature)
        run = self._transform_run(view, created)
        window, lake = self._lake_rows(symbol, ts, definition)
        value = table[feature].to_numpy()[index]
        return Trace(
            view=view,
            feature=feature,
            symbol=symbol,
            event_timestamp=ts.isoformat(),
            value=None if pd.isna(value) else float(value),
            offline_table=str(path),
            view_version=version,
            transform_run=_run_summary(run),
            code_revision=self._revision(run),
            definition=definition,
            input_window=window,
            lake_rows=lake,
            materialization=self._materialization(view, ts),
            online_value=online_value,
        )

    # -- the offline row ----------------------------------------------------------------------

    def _offline(self, view: str, feature: str, symbol: str) -> tuple[pd.DataFrame, Path, str]:
        """The value's column with both timestamps, the table's path and its view version
        (one open of the file, read without threads: a trace reads a few thousand rows)."""
        path = self.repo.offline_view(view) / f"{symbol}.parquet"
        if not path.exists():
            raise TraceError(f"no offline table {path} (view {view!r}, symbol {symbol!r})")
        file = pq.ParquetFile(path)
        schema = file.schema_arrow
        if feature not in schema.names:
            raise TraceError(f"{path}: no feature {feature!r} in view {view!r}")
        columns = ["event_timestamp", "created_timestamp", feature]
        table = file.read(columns=columns, use_threads=False)
        frame = pd.DataFrame(
            {
                "event_timestamp": table["event_timestamp"].to_numpy().astype("datetime64[us]"),
                "created_timestamp": table["created_timestamp"].to_numpy().astype("datetime64[us]"),
                feature: table[feature].to_numpy(),
            }
        )
        version = (schema.metadata or {}).get(b"view_version", b"").decode()
        return frame, path, version

    def _definition(self, view: str, version: str, feature: str) -> dict[str, Any]:
        key = (view, version)
        if key not in self._definitions:
            self._definitions[key] = load_snapshot(self.repo, view, version)
        for record in self._definitions[key]["features"]:
            if record["name"] == feature:
                return record
        raise TraceError(f"view {view} version {version} has no feature {feature!r}")

    # -- runs ------------------------------------------------------------------------------------

    def runs(self) -> list[RunRecord]:
        if self._runs is None:
            self._runs = RunLog(self.repo.runs).list()
        return self._runs

    def _transform_run(self, view: str, created: pd.Timestamp) -> RunRecord | None:
        """The transform run that stamped ``created`` on the rows it wrote."""
        for record in reversed(self.runs()):
            if record.command != "transform" or f"offline:{view}" not in record.outputs:
                continue
            start = pd.Timestamp(record.started_at)
            end = pd.Timestamp(record.ended_at) if record.ended_at else None
            if start <= created and (end is None or created <= end):
                return record
        return None

    def _revision(self, run: RunRecord | None) -> str | None:
        """The git revision the run recorded when it started."""
        if run is None:
            return None
        if run.run_id not in self._revisions:
            self._revisions[run.run_id] = run_revision(self.repo, run.run_id)
        return self._revisions[run.run_id]

    def _materialization(self, view: str, ts: pd.Timestamp) -> dict[str, Any] | None:
        """The latest successful materialization of ``view`` whose window holds ``ts``."""
        for record in reversed(self.runs()):
            if record.command != "materialize" or f"online:{view}" not in record.outputs:
                continue
            if record.status != "succeeded":
                continue
            start, end = record.parameters.get("start"), record.parameters.get("end")
            if start and end and not (pd.Timestamp(start) <= ts <= pd.Timestamp(end)):
                continue
            profile = self.repo.profiles / record.run_id / f"{view}.bin"
            return {
                **_run_summary(record),
                "window": [start, end],
                "whylogs_profile": str(profile) if profile.exists() else None,
                "drift": self._drift(view, record),
            }
        return None

    def _drift(self, view: str, run: RunRecord) -> dict[str, Any] | None:
        """The view's drift status as of the materialization (the last check before its end)."""
        reports = self._drift_reports(view)
        if reports is None:
            return {"status": "not checked"}
        cutoff = run.ended_at or run.started_at
        mine = [r for r in reports if r.get("run_id") == run.run_id]
        earlier = [r for r in reports if r.get("checked_at", "") <= cutoff]
        chosen = (mine or earlier or [None])[-1]
        if chosen is None:
            return {"status": "not checked"}
        return {
            "checked_at": chosen.get("checked_at"),
            "dataset_drift": chosen.get("dataset_drift"),
            "drifted_features": [f["feature"] for f in chosen.get("features", [])
                                 if f.get("drifted") or f.get("status") == "drift"],
        }  # fmt: skip

    def _drift_reports(self, view: str) -> list[dict[str, Any]] | None:
        """The view's drift reports in file order (None: never checked), read once."""
        if view not in self._drifts:
            folder = self.repo.data / "monitoring" / "drift" / view
            self._drifts[view] = (
                [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))]
                if folder.is_dir()
                else None
            )
        return self._drifts[view]

    # -- the lake ----------------------------------------------------------------------------

    def _lake_rows(
        self, symbol: str, ts: pd.Timestamp, definition: dict[str, Any]
    ) -> tuple[dict, list[LakeRows]]:
        """The input window and the lake rows behind the value (:mod:`.inputs`)."""
        family = family_of(definition)
        warmup = int(definition.get("warmup", 0))
        path = BarLake(self.repo).path(symbol)
        if not path.exists():
            raise TraceError(f"no lake file {path} for symbol {symbol!r}")
        bars = read_stamped(path, "event_timestamp")
        stamps = bars["event_timestamp"]
        last = position_at(stamps, ts.as_unit("us"))
        rows = bar_window(bars, last, 0 if family == FUNDAMENTALS else warmup)
        window = {
            "first_bar": _iso(rows["event_timestamp"][0].as_py()) if rows.num_rows else None,
            "last_bar": _iso(rows["event_timestamp"][-1].as_py()) if rows.num_rows else None,
            "bars": rows.num_rows,
            "warmup": warmup,
            "series_first_bar": _iso(stamps[0].as_py()) if len(stamps) else None,
        }
        found = self._group("bars", rows)
        if family == FUNDAMENTALS:
            filings = self._side_lake(fundamentals_dir(self.repo), symbol, FILING_COLUMNS)
            chosen = filings_read(filings, ts.as_unit("us"), definition)
            window["filings"] = chosen.num_rows
            window["fiscal_periods"] = chosen["fiscal_period"].to_pylist()
            found += self._group("fundamentals", chosen)
        elif family == SENTIMENT:
            news = self._side_lake(news_root(self.repo), symbol, ("published_at",))
            chosen = headlines_read(news, bars, last, warmup) if last >= 0 else news.slice(0, 0)
            published = chosen["published_at"]
            window["headlines"] = chosen.num_rows
            window["first_headline"] = _iso(published[0].as_py()) if len(published) else None
            window["last_headline"] = _iso(published[-1].as_py()) if len(published) else None
            found += self._group("news", chosen)
        return window, found

    def _side_lake(self, folder: Path, symbol: str, columns: tuple[str, ...]) -> pa.Table:
        path = symbol_file(folder, symbol)
        if not path.exists():
            raise TraceError(f"no lake file {path} for symbol {symbol!r}")
        return read_stamped(path, *columns)

    def _group(self, lake: str, rows: pa.Table) -> list[LakeRows]:
        """``rows`` grouped by import run and vendor file, lines as ranges."""
        if rows.num_rows == 0:
            return []
        if "ingest_run" not in rows.column_names:
            return [LakeRows(None, None, None, [], rows.num_rows, lake=lake)]
        runs = rows["ingest_run"].to_pylist()
        files = rows["ingest_file"].to_pylist()
        lines = rows["ingest_line"].to_pylist()
        groups: dict[tuple[str | None, int | None], list[int]] = {}
        for run, file, line in zip(runs, files, lines, strict=True):
            groups.setdefault((run, file), []).append(line)
        out = []
        for (run, file), found in groups.items():
            described = self._manifest(run).get(str(file), {}) if run else {}
            name = described.get("path")
            verdict = self._verdict(run) if run else None
            out.append(
                LakeRows(
                    import_run=run,
                    file=name,
                    sha256=described.get("sha256"),
                    lines=_ranges([v for v in found if v is not None]),
                    rows=len(found),
                    rules_passed=sorted((verdict or {}).get("rules", {})),
                    warnings=self._warnings(run, name, found) if run and name else [],
                    lake=lake,
                )
            )
        return out

    def _manifest(self, run: str) -> dict:
        if run not in self._manifests:
            self._manifests[run] = read_manifest(self.repo, run)
        return self._manifests[run]

    def _verdict(self, run: str) -> dict | None:
        if run not in self._verdicts:
            from axiom_features.quality.store import verdict_path

            path = verdict_path(self.repo, run)
            self._verdicts[run] = json.loads(path.read_text()) if path.exists() else None
        return self._verdicts[run]

    def _warnings(self, run: str, file: str, lines: list[int]) -> list[dict[str, Any]]:
        if run not in self._findings:
            from axiom_features.quality.store import findings_path

            path = findings_path(self.repo, run)
            index: dict[tuple[str, int], list[str]] = {}
            if path.exists():
                found = pd.read_parquet(path)
                rule = "rule" if "rule" in found else found.columns[0]
                for f, line, name in zip(
                    found["source_file"], found["source_line"], found[rule], strict=True
                ):
                    index.setdefault((str(Path(f).resolve()), int(line)), []).append(str(name))
            self._findings[run] = index
        index = self._findings[run]
        return [
            {"line": line, "rules": index[(file, line)]} for line in lines if (file, line) in index
        ]


def _utc(when: datetime) -> pd.Timestamp:
    ts = pd.Timestamp(when)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _iso(value: Any) -> str:
    return pd.Timestamp(value).isoformat()


def _ranges(lines: list[int]) -> list[list[int]]:
    """Sorted line numbers as inclusive ranges."""
    out: list[list[int]] = []
    for line in sorted(lines):
        if out and line == out[-1][1] + 1:
            out[-1][1] = line
        else:
            out.append([line, line])
    return out


def _run_summary(record: RunRecord | None) -> dict[str, Any] | None:
    if record is None:
        return None
    return {
        "run_id": record.run_id,
        "command": record.command,
        "status": record.status,
        "started_at": record.started_at,
        "ended_at": record.ended_at,
        "code_version": record.code_version,
        "parameters": record.parameters,
    }
