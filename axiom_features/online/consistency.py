"""Online/offline consistency: do online values equal the latest offline rows?

For each feature view, a sample of entities is drawn from the offline table's rows that are
alive at the reference time ``as_of`` (event time in ``[as_of - ttl, as_of]``); for each,
the latest such offline row is the expected online row. The online store is read with the
same request a model would make, and every feature is compared:

- ``value``: online and offline values differ (null equals NaN; floats exactly, or within
  ``rel_tol``);
- ``missing``: the entity has no online row for the view;
- ``stale``: the online row is older than the latest offline row;
- ``newer``: the online row is newer than any offline row (offline data was rewritten).

Entities whose latest offline row has expired (older than the TTL) are not expected online
and are counted, not compared. ``as_of`` defaults to the end of the view's latest
materialization (what the online store was last brought up to), else the newest offline row.

A check that compared nothing does not pass: each view reports what it compared, and a view
that compared no entity is a warning (the report's status is ``warn``, not ``ok``). Online
rows without an offline row are noticed too: on Redis the view's online entities are
counted against the offline table's, and lake symbols with no offline file are named.
"""

from __future__ import annotations

import math
import random
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from feast import FeatureStore, FeatureView, FileSource
from feast.infra.offline_stores.dask import DaskOfflineStore

from axiom_features.materialize.latest import parquet_files, pull_latest
from axiom_features.offline.coverage import gap_line, missing_symbols
from axiom_features.online.fast_read import read_result
from axiom_features.online.freshness import is_redis, newest_online

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class Mismatch:
    view: str
    entity: dict[str, Any]
    feature: str | None
    kind: str
    """``value``, ``missing``, ``stale`` or ``newer``."""
    online: Any = None
    offline: Any = None
    online_timestamp: str | None = None
    offline_timestamp: str | None = None


@dataclass
class ViewCheck:
    view: str
    as_of: str
    ttl_seconds: float | None
    entities_checked: int = 0
    values_checked: int = 0
    expired: int = 0
    """Sampled entities whose latest offline row is older than the TTL (not compared)."""
    offline_entities: int = 0
    """Entities with an offline row up to ``as_of``."""
    online_entities: int | None = None
    """Entities holding a row of the view online (Redis; None where not counted)."""
    status: str = "ok"
    """``ok``; ``warn``: nothing compared, or offline files missing; ``fail``: mismatches or
    online rows with no offline row."""
    notes: list[str] = field(default_factory=list)


STATUS_ORDER = ("ok", "warn", "fail")


@dataclass
class ConsistencyReport:
    views: list[ViewCheck] = field(default_factory=list)
    mismatches: list[Mismatch] = field(default_factory=list)

    @property
    def status(self) -> str:
        worst = max((STATUS_ORDER.index(v.status) for v in self.views), default=1)
        if not self.views:
            worst = 1  # nothing to check is not a pass
        return "fail" if self.mismatches else STATUS_ORDER[worst]

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "status": self.status,
            "views_compared": sum(1 for v in self.views if v.entities_checked),
            "views_compared_nothing": [v.view for v in self.views if not v.entities_checked],
            "entities_checked": sum(v.entities_checked for v in self.views),
            "values_checked": sum(v.values_checked for v in self.views),
            "mismatch_count": len(self.mismatches),
            "views": [asdict(v) for v in self.views],
            "mismatches": [asdict(m) for m in self.mismatches],
        }


def _as_of(store: FeatureStore, view: FeatureView) -> datetime | None:
    ends = [interval[1] for interval in view.materialization_intervals]
    return max(ends).astimezone(UTC) if ends else None


def _offline_latest(
    store: FeatureStore, view: FeatureView, start: datetime, end: datetime
) -> pa.Table:
    """The latest offline row per entity with event time in ``[start, end]``."""
    source = view.batch_source
    offline = store._get_provider().offline_store
    features = [f.name for f in view.features]
    created = source.created_timestamp_column or None
    own_pull = getattr(type(offline), "pull_latest_from_table_or_query", None)
    local = isinstance(source, FileSource) and "://" not in source.path
    if local:
        path = Path(source.path)
        if not path.is_absolute():
            path = Path(store.repo_path) / path
        if not path.exists() or not parquet_files(path):
            return pa.table({})  # no transform job has written this view yet
    if local and own_pull is DaskOfflineStore.pull_latest_from_table_or_query:
        return pull_latest(
            path,
            join_keys=view.join_keys,
            feature_columns=features,
            timestamp_field=source.timestamp_field,
            created_timestamp_column=created,
            start=start,
            end=end,
        )
    return offline.pull_latest_from_table_or_query(
        config=store.config,
        data_source=source,
        join_key_columns=view.join_keys,
        feature_name_columns=features,
        timestamp_field=source.timestamp_field,
        created_timestamp_column=created,
        start_date=start,
        end_date=end,
    ).to_arrow()


def _same(online: Any, offline: Any, rel_tol: float) -> bool:
    if offline is None or (isinstance(offline, float) and math.isnan(offline)):
        return online is None or (isinstance(online, float) and math.isnan(online))
    if online is None:
        return False
    if isinstance(offline, float) and isinstance(online, float):
        return online == offline or (rel_tol > 0 and math.isclose(online, offline, rel_tol=rel_tol))
    return online == offline


def _read_online(
    store: FeatureStore, refs: list[str], rows: dict[str, list[Any]]
) -> dict[str, list[Any]]:
    result = read_result(store, refs, rows)
    if result is not None:
        return result.to_dict(include_event_timestamps=True)
    response = store.get_online_features(features=refs, entity_rows=rows)
    return response.to_dict(include_event_timestamps=True)


def check_view(
    store: FeatureStore,
    view: FeatureView,
    *,
    sample: int,
    rng: random.Random,
    as_of: datetime | None,
    rel_tol: float,
    report: ConsistencyReport,
) -> None:
    """Compare a sample of ``view``'s entities; adds to ``report``."""
    ttl = view.ttl if view.ttl and view.ttl > timedelta(0) else None
    end = as_of or _as_of(store, view) or datetime.now(UTC)
    latest = _offline_latest(store, view, EPOCH, end)
    check = ViewCheck(view.name, end.isoformat(), ttl.total_seconds() if ttl else None)
    report.views.append(check)
    check.offline_entities = latest.num_rows
    _coverage(store, view, check)
    try:
        _compare(store, view, latest, end, ttl, sample, rng, rel_tol, check, report)
    finally:
        if not check.entities_checked:
            why = f"{check.expired} sampled entities expired" if check.expired else "no rows"
            check.notes.append(f"compared nothing ({why})")
            check.status = max(check.status, "warn", key=STATUS_ORDER.index)
        if any(m.view == view.name for m in report.mismatches):
            check.status = "fail"


def _coverage(store: FeatureStore, view: FeatureView, check: ViewCheck) -> None:
    """Note lake symbols with no offline file, and online entities with no offline row."""
    missing = missing_symbols(Path(store.repo_path), view.name)
    if missing:
        check.notes.append(gap_line(view.name, missing))
        check.status = "warn"
    if is_redis(store):
        check.online_entities = newest_online(store, view)[1]
        extra = check.online_entities - check.offline_entities
        if extra > 0:
            check.notes.append(
                f"{extra} online entities have no offline row (a deleted offline file?)"
            )
            check.status = "fail"


def _compare(
    store: FeatureStore,
    view: FeatureView,
    latest: pa.Table,
    end: datetime,
    ttl: timedelta | None,
    sample: int,
    rng: random.Random,
    rel_tol: float,
    check: ViewCheck,
    report: ConsistencyReport,
) -> None:
    if latest.num_rows == 0:
        return
    ts_field = view.batch_source.timestamp_field
    indexes = list(range(latest.num_rows))
    if len(indexes) > sample:
        indexes = sorted(rng.sample(indexes, sample))
    latest = latest.take(pa.array(indexes, pa.int64()))
    if ttl is not None:
        alive = pc.greater_equal(
            latest.column(ts_field), pa.scalar(end - ttl, pa.timestamp("us", tz="UTC"))
        )
        check.expired = latest.num_rows - pc.sum(alive.cast(pa.int64())).as_py()
        latest = latest.filter(alive)
    if latest.num_rows == 0:
        return
    keys = {k: latest.column(k).to_pylist() for k in view.join_keys}
    features = [f.name for f in view.features]
    refs = [f"{view.name}:{f}" for f in features]
    online = _read_online(store, refs, keys)
    stamps = latest.column(ts_field).to_pylist()
    check.entities_checked = latest.num_rows
    for i in range(latest.num_rows):
        entity = {k: keys[k][i] for k in view.join_keys}
        offline_at = stamps[i]
        offline_seconds = int(offline_at.timestamp())
        online_seconds = online[features[0] + "__ts"][i] if features else 0
        row_online = [online[f][i] for f in features]
        base = dict(
            view=view.name,
            entity=entity,
            online_timestamp=_iso(online_seconds),
            offline_timestamp=offline_at.isoformat(),
        )
        if online_seconds == 0 and all(v is None for v in row_online):
            report.mismatches.append(Mismatch(feature=None, kind="missing", **base))
            continue
        if online_seconds < offline_seconds:
            report.mismatches.append(Mismatch(feature=None, kind="stale", **base))
            continue
        if online_seconds > offline_seconds:
            report.mismatches.append(Mismatch(feature=None, kind="newer", **base))
            continue
        for name, value in zip(features, row_online, strict=True):
            expected = latest.column(name)[i].as_py()
            check.values_checked += 1
            if not _same(value, expected, rel_tol):
                report.mismatches.append(
                    Mismatch(
                        feature=name,
                        kind="value",
                        online=_jsonable(value),
                        offline=_jsonable(expected),
                        **base,
                    )
                )


def _iso(seconds: int) -> str | None:
    return datetime.fromtimestamp(seconds, tz=UTC).isoformat() if seconds else None


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return value


def check_consistency(
    store: FeatureStore,
    *,
    views: list[str] | None = None,
    sample: int = 100,
    seed: int = 0,
    as_of: datetime | None = None,
    rel_tol: float = 0.0,
) -> ConsistencyReport:
    """Compare online values with the latest offline values of sampled entities."""
    report = ConsistencyReport()
    rng = random.Random(seed)
    chosen = [v for v in store.list_feature_views() if v.online]
    if views:
        known = {v.name for v in chosen}
        unknown = sorted(set(views) - known)
        if unknown:
            raise ValueError(f"unknown feature views: {', '.join(unknown)}")
        chosen = [v for v in chosen if v.name in views]
    for view in sorted(chosen, key=lambda v: v.name):
        check_view(store, view, sample=sample, rng=rng, as_of=as_of, rel_tol=rel_tol, report=report)
    return report
