"""``axiom lineage trace`` as a function: parse the target, read the served value, trace it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from axiom_features.lineage.trace import Trace, TraceError, Tracer


def parse_target(target: str) -> tuple[str, str]:
    """``VIEW:FEATURE`` → ``(view, feature)``."""
    view, sep, feature = target.partition(":")
    if not sep or not view or not feature:
        raise TraceError(f"target {target!r}: expected VIEW:FEATURE, e.g. ta_momentum:rsi_14")
    return view, feature


def trace_value(
    root: Path,
    target: str,
    symbol: str,
    *,
    at: datetime | None = None,
    online: bool = False,
    profile: str = "default",
    tracer: Tracer | None = None,
    store=None,  # noqa: ANN001 - a feast.FeatureStore, opened on demand
) -> Trace:
    """Trace ``VIEW:FEATURE`` for ``symbol``: the value served online (``online``), the one a
    training row at ``at`` gets, or the latest offline value."""
    view, feature = parse_target(target)
    tracer = tracer or Tracer(root)
    if not online:
        return tracer.trace(view, feature, symbol, at=at)
    from axiom_features.lineage.served import served_value

    if store is None:
        from axiom_features.feature_store import open_store

        store = open_store(root, profile)
    value, stamp = served_value(store, view, feature, symbol)
    if stamp is None:
        raise TraceError(f"the online store serves no {view}:{feature} for {symbol!r}")
    return tracer.trace(view, feature, symbol, online_value=value, online_timestamp=stamp)
