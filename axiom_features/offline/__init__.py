"""Offline stores: fast point-in-time retrieval over Parquet (DuckDB) and PostgreSQL.

- :mod:`.duckdb_store` — the Feast offline-store plugin for ``FileSource`` tables (default
  profile).
- :mod:`.postgres_store` — the Feast offline-store plugin for ``PostgreSQLSource`` tables
  (production profile), configured from ``AXIOM_POSTGRES_URL``.
- :mod:`.point_in_time` — the point-in-time join: match on narrow keys (DuckDB ASOF JOIN), then
  gather only the matched values into entity order.
- :mod:`.joined` — a join's result as Arrow or pandas.
- :mod:`.latest` — latest row per entity key in a window (fast materialization pulls).
- :mod:`.writes` — pushing rows into the Parquet tables (one file per entity key).
- :mod:`.postgres_tables` — PostgreSQL feature tables: DDL, point-in-time index, ``COPY`` loads.
"""
