"""Feast definitions only: entities, sources, feature views and services."""
