"""Each materialization's whylogs profile against the rows it describes.

A materialization writes, per view, the latest offline row of each entity in its interval
and profiles exactly those rows. The check reads the same rows again from the offline table
(:func:`~axiom_features.materialize.latest.pull_latest`), profiles them and compares the two
profiles (:func:`monitoring.profile_compare.profile_differences`, sketch error aside): a
profile file edited or damaged, or an offline table rewritten after the materialization,
is named.
"""

from __future__ import annotations

from datetime import datetime

from axiom_features.materialize.latest import pull_latest
from axiom_features.paths import RepoPaths
from axiom_features.verify.report import Damage
from monitoring.profile_compare import profile_differences
from monitoring.profile_store import ProfileRecord, ProfileStore
from monitoring.profiling import profile_frame

ENTITY = "symbol"
TIMESTAMPS = ("event_timestamp", "created_timestamp")


def _problem(repo: RepoPaths, store: ProfileStore, record: ProfileRecord) -> str | None:
    try:
        stored = store.load(record)
    except Exception as exc:  # noqa: BLE001 - an unreadable profile is damage
        return f"unreadable ({exc})"
    columns = sorted(stored.get_columns())
    offline = repo.offline_view(record.feature_view)
    if not offline.exists():
        return "its offline table is gone"
    rows = pull_latest(
        offline,
        join_keys=[ENTITY],
        feature_columns=[c for c in columns if c != ENTITY and c not in TIMESTAMPS],
        timestamp_field="event_timestamp",
        created_timestamp_column="created_timestamp",
        start=datetime.fromisoformat(record.start),
        end=datetime.fromisoformat(record.end),
    )
    if rows.num_rows != record.row_count:
        return f"describes {record.row_count} rows; the offline table gives {rows.num_rows}"
    differences = profile_differences(stored, profile_frame(rows.select(columns)))
    if differences:
        more = f" (+{len(differences) - 1} more)" if len(differences) > 1 else ""
        return f"differs from the rows it describes: {differences[0]}{more}"
    return None


def profile_damage(repo: RepoPaths) -> tuple[int, list[Damage]]:
    """How many materialization profiles were checked, and those that do not match."""
    store = ProfileStore(repo.profiles)
    records = store.list(kind="materialization")
    damaged = []
    for record in records:
        problem = _problem(repo, store, record)
        if problem is not None:
            damaged.append(Damage("profiles", f"profiles/{record.path}", problem))
    return len(records), damaged
