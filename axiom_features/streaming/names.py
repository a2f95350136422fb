"""Names on the stream server: one stream per bar source, the consumers' group."""

from __future__ import annotations

GROUP = "axiom-features"
"""The consumer group of ``axiom stream run``."""


def bar_stream(source: str) -> str:
    """The stream of one bar source."""
    return f"axiom:bars:{source}"
