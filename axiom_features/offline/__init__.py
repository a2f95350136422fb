"""Offline stores: fast point-in-time retrieval over Parquet (DuckDB) and PostgreSQL.

- :mod:`.duckdb_store` — the Feast offline-store plugin for ``FileSource`` tables.
- :mod:`.postgres_store` — the Feast offline-store plugin for ``PostgreSQLSource`` tables.
- :mod:`.point_in_time` — the point-in-time join both use (match on narrow keys, then gather).
- :mod:`.latest` — latest row per entity, for fast materialization.
- :mod:`.postgres_tables` — loading the offline tables into PostgreSQL with ``COPY``.
"""
