"""Backfill of a time range and replay of a recorded run, from the inputs' content hashes."""
