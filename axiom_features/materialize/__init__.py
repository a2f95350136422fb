"""Materialization into the online store, with a whylogs profile of every view written."""
