"""Deterministic synthetic market data: bars, quarterly filings and headlines."""
