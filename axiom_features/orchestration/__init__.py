"""The Dagster code location: assets, checks, schedule and sensor generated from the catalogue."""
