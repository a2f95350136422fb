"""Consensus of several providers: the median per field, and who disagrees with it.

For each (symbol, event_timestamp), every field of the consensus bar is the median of the
providers that have the bar. A provider's price that differs from the consensus by more
than ``tolerance`` (relative, default 1%) — or its volume by more than ``volume_tolerance``
(default 10%) — is a disagreement. With two providers the median is their mean and both are
flagged; with three or more the odd one out is. The median keeps OHLC order: if every
provider has high ≥ open, the medians do too. A provider that is missing a bar or fails to
load is left out (fallback): the others still make the consensus, and ``providers`` says
how many did.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from axiom_features.contracts import BAR_SCHEMA

PRICES = ("open", "high", "low", "close")
FIELDS = (*PRICES, "volume")
KEY = ["symbol", "event_timestamp"]


@dataclass
class ConsensusResult:
    bars: pd.DataFrame
    """Consensus bars in the bar contract, ``source`` = 'consensus'."""
    support: pd.DataFrame
    """Per consensus bar: symbol, event_timestamp, providers (how many had it)."""
    disagreements: pd.DataFrame
    """symbol, event_timestamp, provider, field, value, consensus, relative_difference."""
    agreement: dict[str, float]
    """Per provider: share of its bars with no disagreement."""
    coverage: dict[str, float]
    """Per provider: share of consensus bars it delivered."""
    failed: dict[str, str] = field(default_factory=dict)
    """Providers that could not be loaded, and why."""


def load_feeds(
    feeds: Mapping[str, Callable[[], pd.DataFrame]],
) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """Call each provider's loader; a loader that raises is reported, not fatal."""
    frames, failed = {}, {}
    for name, load in feeds.items():
        try:
            frames[name] = load()
        except Exception as exc:  # noqa: BLE001 - any provider failure means fallback
            failed[name] = f"{type(exc).__name__}: {exc}".splitlines()[0]
    return frames, failed


def consensus_bars(
    frames: Mapping[str, pd.DataFrame],
    *,
    tolerance: float = 0.01,
    volume_tolerance: float = 0.10,
    failed: Mapping[str, str] | None = None,
) -> ConsensusResult:
    """Merge the providers' bars into consensus bars and flag disagreements."""
    usable = {name: f for name, f in frames.items() if len(f)}
    if not usable:
        raise ValueError("no provider delivered bars (" + ", ".join(failed or {}) + ")")
    names = list(usable)
    received = pd.Timestamp(datetime.now(UTC))
    stacked = pd.concat(
        [
            f[[*KEY, *FIELDS]].assign(
                provider=n,
                created_timestamp=f["created_timestamp"] if "created_timestamp" in f else received,
            )
            for n, f in usable.items()
        ],
        ignore_index=True,
    ).drop_duplicates([*KEY, "provider"], keep="first")
    key_codes = stacked.groupby(KEY, sort=False).ngroup().to_numpy()
    key_frame = stacked[KEY].drop_duplicates().reset_index(drop=True)
    provider_codes = pd.Categorical(stacked["provider"], categories=names).codes
    n_keys, n_providers = len(key_frame), len(names)

    medians: dict[str, np.ndarray] = {}
    cubes: dict[str, np.ndarray] = {}
    for column in FIELDS:
        cube = np.full((n_keys, n_providers), np.nan)
        cube[key_codes, provider_codes] = stacked[column].to_numpy(dtype=np.float64)
        cubes[column] = cube
        with warnings.catch_warnings():  # an all-NaN row (no provider had the field) → NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            medians[column] = np.nanmedian(cube, axis=1)
    present = ~np.isnan(cubes["close"])
    created = stacked.groupby(key_codes)["created_timestamp"].max().sort_index()

    bars = key_frame.assign(**{c: medians[c] for c in FIELDS})
    bars["created_timestamp"] = pd.Series(created.to_numpy()).fillna(received)
    bars["source"] = "consensus"
    bars = bars[BAR_SCHEMA.names]
    for column in ("event_timestamp", "created_timestamp"):
        bars[column] = bars[column].astype("datetime64[us, UTC]")

    flags = []
    disagreeing = np.zeros((n_keys, n_providers), dtype=bool)
    for column in FIELDS:
        limit = volume_tolerance if column == "volume" else tolerance
        with np.errstate(divide="ignore", invalid="ignore"):
            diff = np.abs(cubes[column] / medians[column][:, None] - 1.0)
        hit = diff > limit
        disagreeing |= hit
        k, p = np.nonzero(hit)
        flags.append(
            pd.DataFrame(
                {
                    "symbol": key_frame["symbol"].to_numpy()[k],
                    "event_timestamp": key_frame["event_timestamp"].to_numpy()[k],
                    "provider": np.asarray(names, dtype=object)[p],
                    "field": column,
                    "value": cubes[column][k, p],
                    "consensus": medians[column][k],
                    "relative_difference": diff[k, p],
                }
            )
        )
    disagreements = pd.concat([f for f in flags if len(f)] or flags[:1], ignore_index=True)
    disagreements = disagreements.sort_values([*KEY, "provider", "field"], kind="stable")
    delivered = present.sum(axis=0)
    return ConsensusResult(
        bars=bars,
        support=key_frame.assign(providers=present.sum(axis=1)),
        disagreements=disagreements.reset_index(drop=True),
        agreement={
            n: float(1.0 - (disagreeing[:, j] & present[:, j]).sum() / max(delivered[j], 1))
            for j, n in enumerate(names)
        },
        coverage={n: float(delivered[j] / n_keys) for j, n in enumerate(names)},
        failed=dict(failed or {}),
    )
