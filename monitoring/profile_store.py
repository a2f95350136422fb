"""Keep whylogs profiles on disk, one per (run, feature view), with their metadata.

Layout under ``root``::

    <run_id>/<feature_view>.bin    the profile (``DatasetProfileView.serialize()`` bytes)
    <run_id>/<feature_view>.json   its metadata record
    <run_id>/<feature_view>.days.bin   day profiles of one run, concatenated (``save_days``)
    <run_id>/<feature_view>.days.json  their record; ``segments`` maps each day to its bytes

There is no shared index file: the metadata files are the index. Each file is written to a
temporary name and renamed into place, the profile before its record, so a reader sees
either a complete entry or none, and writers in different processes never touch the same
file. Saving a (run_id, feature_view) again replaces it; two processes saving the same
pair at the same moment is not supported.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from functools import reduce
from itertools import groupby
from pathlib import Path
from typing import Any

from monitoring.whylogs_compat import ProfileView

logger = logging.getLogger(__name__)

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
TimeLike = datetime | str


@dataclass(frozen=True)
class ProfileRecord:
    """Metadata of one stored profile; times are UTC ISO-8601 strings."""

    run_id: str
    feature_view: str
    start: str
    end: str
    row_count: int
    created_at: str
    path: str
    """The profile file, relative to the store root."""
    kind: str = "materialization"
    feature_view_version: str | None = None
    segments: dict[str, list[int]] | None = None
    """Day bundles only: ``{"YYYY-MM-DD": [offset, length, rows]}`` into the profile file."""


class ProfileStore:
    """Profiles of materializations (and references, by ``kind``) under one folder."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def save(
        self,
        view: ProfileView,
        *,
        run_id: str,
        feature_view: str,
        start: TimeLike,
        end: TimeLike,
        row_count: int,
        feature_view_version: str | None = None,
        kind: str = "materialization",
    ) -> ProfileRecord:
        """Store ``view`` for ``run_id``/``feature_view`` and return its record."""
        _check_name("run_id", run_id)
        _check_name("feature_view", feature_view)
        _check_name("kind", kind)
        start_utc, end_utc = _utc("start", start), _utc("end", end)
        if end_utc < start_utc:
            raise ValueError(f"end {end_utc} is before start {start_utc}")
        if row_count < 0:
            raise ValueError(f"row_count must be >= 0, got {row_count}")
        record = ProfileRecord(
            run_id=run_id,
            feature_view=feature_view,
            start=start_utc.isoformat(),
            end=end_utc.isoformat(),
            row_count=int(row_count),
            created_at=datetime.now(UTC).isoformat(timespec="microseconds"),
            path=f"{run_id}/{feature_view}.bin",
            kind=kind,
            feature_view_version=feature_view_version,
        )
        folder = self.root / run_id
        folder.mkdir(parents=True, exist_ok=True)
        _write_atomically(self.root / record.path, view.serialize())
        _write_atomically(folder / f"{feature_view}.json", json.dumps(asdict(record)).encode())
        return record

    def save_days(
        self,
        days: dict[str, tuple[Any, int]],
        *,
        run_id: str,
        feature_view: str,
        feature_view_version: str | None = None,
        kind: str = "offline_daily",
    ) -> ProfileRecord | None:
        """Store one run's day sketches of a view as one bundle; None when ``days`` is empty.

        ``days`` maps ``YYYY-MM-DD`` to (sketch, rows); a sketch is anything with
        ``serialize() -> bytes`` (:class:`monitoring.daily_profiles.DaySketch`).
        """
        if not days:
            return None
        _check_name("run_id", run_id)
        _check_name("feature_view", feature_view)
        _check_name("kind", kind)
        blobs, segments, offset = [], {}, 0
        for day in sorted(days):
            view, rows = days[day]
            blob = view.serialize()
            segments[day] = [offset, len(blob), int(rows)]
            blobs.append(blob)
            offset += len(blob)
        first, last = min(days), max(days)
        record = ProfileRecord(
            run_id=run_id,
            feature_view=feature_view,
            start=datetime.fromisoformat(first).replace(tzinfo=UTC).isoformat(),
            end=(datetime.fromisoformat(last).replace(tzinfo=UTC) + timedelta(days=1)).isoformat(),
            row_count=sum(r for _, _, r in segments.values()),
            created_at=datetime.now(UTC).isoformat(timespec="microseconds"),
            path=f"{run_id}/{feature_view}.days.bin",
            kind=kind,
            feature_view_version=feature_view_version,
            segments=segments,
        )
        folder = self.root / run_id
        folder.mkdir(parents=True, exist_ok=True)
        _write_atomically(self.root / record.path, b"".join(blobs))
        _write_atomically(folder / f"{feature_view}.days.json", json.dumps(asdict(record)).encode())
        return record

    def load_days(self, record: ProfileRecord, days: Iterable[str] | None = None) -> dict[str, Any]:
        """The day sketches of a bundle (all, or only ``days``), as ``DaySketch`` objects."""
        from monitoring.daily_profiles import DaySketch

        segments = record.segments or {}
        wanted = sorted(segments if days is None else set(days) & set(segments))
        data = (self.root / record.path).read_bytes()
        return {
            d: DaySketch.deserialize(data[segments[d][0] : segments[d][0] + segments[d][1]])
            for d in wanted
        }

    def day_index(
        self, feature_view: str, kind: str = "offline_daily"
    ) -> dict[str, tuple[ProfileRecord, int]]:
        """``{day: (newest bundle holding it, rows)}`` for one view."""
        index: dict[str, tuple[ProfileRecord, int]] = {}
        for record in self.list(feature_view=feature_view, kind=kind):  # oldest first
            for day, (_, _, rows) in (record.segments or {}).items():
                index[day] = (record, rows)
        return index

    def list(self, feature_view: str | None = None, kind: str | None = None) -> list[ProfileRecord]:
        """Stored records, oldest first, optionally only one feature view and/or kind."""
        records = [r for r in map(_read_record, self.root.glob("*/*.json")) if r is not None]
        return sorted(
            (
                r
                for r in records
                if (feature_view is None or r.feature_view == feature_view)
                and (kind is None or r.kind == kind)
            ),
            key=lambda r: (r.created_at, r.run_id, r.feature_view),
        )

    def latest(self, feature_view: str, kind: str | None = None) -> ProfileRecord | None:
        """The newest record of ``feature_view`` (of ``kind``, if given), or None."""
        records = self.list(feature_view=feature_view, kind=kind)
        return records[-1] if records else None

    def load(self, record_or_path: ProfileRecord | Path | str) -> ProfileView:
        """Read a stored profile by its record, or a ``.bin`` path (absolute or store-relative)."""
        if isinstance(record_or_path, ProfileRecord):
            if record_or_path.segments is not None:
                from monitoring.daily_profiles import merge_days

                return merge_days(self.load_days(record_or_path).values()).to_profile()
            path = self.root / record_or_path.path
        else:
            path = Path(record_or_path)
            path = path if path.is_absolute() else self.root / path
        return ProfileView.deserialize(path.read_bytes())

    def prune(self, keep_last: int) -> list[ProfileRecord]:
        """Keep the newest ``keep_last`` profiles of each (feature view, kind); delete the rest.

        Returns the records removed.
        """
        if keep_last < 0:
            raise ValueError(f"keep_last must be >= 0, got {keep_last}")
        removed: list[ProfileRecord] = []
        by_view = sorted(self.list(), key=lambda r: (r.feature_view, r.kind))
        for _, group in groupby(by_view, key=lambda r: (r.feature_view, r.kind)):
            records = list(group)  # oldest first: list() order survives the stable sort
            for record in records[: max(len(records) - keep_last, 0)]:
                self._remove(record)
                removed.append(record)
        return removed

    def prune_days(self, feature_view: str, kind: str = "offline_daily") -> list[ProfileRecord]:
        """Delete day bundles of a view whose every day is held by a newer bundle."""
        holders = {r.path for r, _ in self.day_index(feature_view, kind).values()}
        removed = []
        for record in self.list(feature_view=feature_view, kind=kind):
            if record.path not in holders:
                self._remove(record)
                removed.append(record)
        return removed

    def _remove(self, record: ProfileRecord) -> None:
        profile = self.root / record.path
        profile.with_name(profile.name.removesuffix(".bin") + ".json").unlink(
            missing_ok=True
        )  # the record goes first
        profile.unlink(missing_ok=True)
        try:
            profile.parent.rmdir()
        except OSError:
            pass  # other views of the run remain


def merge_profiles(views: list[ProfileView]) -> ProfileView:
    """One profile of everything ``views`` profiled (whylogs merge)."""
    if not views:
        raise ValueError("nothing to merge")
    return reduce(lambda a, b: a.merge(b), views)


def _write_atomically(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read_record(path: Path) -> ProfileRecord | None:
    try:
        fields: dict[str, Any] = json.loads(path.read_text())
        return ProfileRecord(**fields)
    except FileNotFoundError:
        return None  # pruned while listing
    except (ValueError, TypeError) as exc:
        logger.warning("skipping unreadable profile record %s: %s", path, exc)
        return None


def _check_name(field: str, value: str) -> None:
    if not isinstance(value, str) or not _NAME.match(value):
        raise ValueError(
            f"{field} {value!r} must be a non-empty name of letters, digits and _.- "
            "(it becomes a file name)"
        )


def _utc(field: str, value: TimeLike) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if not isinstance(moment, datetime):
        raise TypeError(f"{field} must be a datetime or ISO string, got {type(value).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{field} {value!r} has no time zone; pass a UTC (tz-aware) time")
    if hasattr(moment, "to_pydatetime"):  # pandas.Timestamp
        moment = moment.to_pydatetime()
    return moment.astimezone(UTC)
