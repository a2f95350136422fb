"""Online writes as Ray tasks: the rows a materialization pulled, split by entity key, each
part written to Redis by a worker with :func:`~axiom_features.online.writer.write_rows`
(Feast's layout, byte for byte).

All rows of one entity go to the same part, so Feast's skip-if-not-newer rule still sees
every row of an entity in one call. A part rerun after its node died writes the same bytes:
the dedup rule skips what the first attempt already stored.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
from feast.infra.online_stores.redis import RedisOnlineStore, RedisOnlineStoreConfig

from axiom_features.online.writer import ViewLayout, write_rows
from axiom_features.scaleout.cluster import cluster_cpus, ray_session
from axiom_features.scaleout.settings import ComputeSettings
from axiom_features.scaleout.tasks import run_batches


def _write_part(
    store_class: type[RedisOnlineStore],
    store_config: RedisOnlineStoreConfig,
    project: str,
    view: ViewLayout,
    table: pa.Table,
    key_ttl_seconds: int | None,
    skip_dedup: bool,
    batch_rows: int,
) -> int:
    """Worker: write one part with a client of its own; returns the rows written."""
    client = store_class()._get_client(store_config)
    return write_rows(
        client,
        project=project,
        view=view,
        table=table,
        key_ttl_seconds=key_ttl_seconds,
        skip_dedup=skip_dedup,
        batch_rows=batch_rows,
    ).written


def entity_parts(table: pa.Table, join_keys: list[str], parts: int) -> list[pa.Table]:
    """``table`` split into at most ``parts`` tables, every entity's rows in one of them."""
    keys = pd.MultiIndex.from_arrays([table.column(k).to_pandas() for k in join_keys])
    codes = pd.factorize(keys)[0] % parts
    return [table.filter(pa.array(codes == p)) for p in range(parts) if (codes == p).any()]


def write_rows_on_ray(
    store: RedisOnlineStore,
    store_config: RedisOnlineStoreConfig,
    settings: ComputeSettings,
    *,
    project: str,
    view: ViewLayout,
    table: pa.Table,
    batch_rows: int,
) -> int:
    """Write ``table`` for ``view`` from Ray tasks, two parts per cluster CPU; returns the
    rows written."""
    written = 0

    def add(_: int, count: int) -> None:
        nonlocal written
        written += count

    with ray_session(settings):
        cpus = cluster_cpus()
        parts = entity_parts(table, view.join_keys, 2 * cpus)
        batches = [
            (
                type(store),
                store_config,
                project,
                view,
                part,
                store_config.key_ttl_seconds,
                store_config.skip_dedup,
                batch_rows,
            )
            for part in parts
        ]
        run_batches(_write_part, batches, add, in_flight=2 * cpus)
    return written
