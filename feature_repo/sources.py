"""Where each view's offline table lives: Parquet files or a PostgreSQL table.

The definitions serve every profile, so the kind of source is chosen by the environment
variable ``AXIOM_OFFLINE`` when they are applied: ``file`` (default: a ``FileSource`` over
``data/offline/<view>/``) or ``postgres`` (a ``PostgreSQLSource`` over the table ``<view>``,
in the schema of the profile's connection). ``axiom --profile production apply`` sets it
from the profile; with plain Feast, export ``AXIOM_OFFLINE=postgres`` before
``feast -f profiles/production/feature_store.yaml apply``.

A source's ``created_timestamp`` and ``last_updated_timestamp`` are fixed
(:data:`DEFINED_AT`) rather than Feast's default, the time of import: Feast compares a
view's whole specification, source timestamps included, as soon as anything else about the
registered view differs (its materialization intervals, after any materialization), so
stamps that change on every import made each later ``feast apply`` report every view as
updated.
"""

import os
from datetime import UTC, datetime

from feast import FileSource, PushSource
from feast.data_source import DataSource
from feast.infra.offline_stores.contrib.postgres_offline_store.postgres_source import (
    PostgreSQLSource,
)

OFFLINE_KINDS = ("file", "postgres")
DEFINED_AT = datetime(2026, 1, 1, tzinfo=UTC)
"""The creation and update time every source declares: constant, so re-applying is a no-op."""


def offline_kind() -> str:
    kind = os.environ.get("AXIOM_OFFLINE", "file").strip().lower() or "file"
    if kind not in OFFLINE_KINDS:
        raise ValueError(f"AXIOM_OFFLINE={kind!r}: expected one of {', '.join(OFFLINE_KINDS)}")
    return kind


def offline_source(view: str, description: str) -> DataSource:
    """The offline table of ``view`` for the current ``AXIOM_OFFLINE``."""
    common = dict(
        name=f"{view}_source",
        timestamp_field="event_timestamp",
        created_timestamp_column="created_timestamp",
        description=description,
    )
    if offline_kind() == "postgres":
        source: DataSource = PostgreSQLSource(table=view, **common)
    else:
        source = FileSource(path=f"data/offline/{view}", **common)
    source.created_timestamp = source.last_updated_timestamp = DEFINED_AT
    return source


def push_source(view: str, batch_source: DataSource) -> PushSource:
    """The push source of a view fed by the bar stream (``FeatureStore.push(f"{view}_push",
    rows)`` writes its rows online); materialization still reads ``batch_source``."""
    source = PushSource(
        name=f"{view}_push",
        batch_source=batch_source,
        description=f"Live rows of {view} (the bar stream, or FeatureStore.push)",
    )
    source.created_timestamp = source.last_updated_timestamp = DEFINED_AT
    return source
