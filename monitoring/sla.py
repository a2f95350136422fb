"""Freshness SLAs: how old a view's newest online row may be, and the share of time it was not.

Two kinds, chosen per view in config:

* ``sessions`` (default for daily views, whose rows are stamped at the session close): at most
  ``sessions`` exchange sessions may have closed after the newest row (default 1: today's
  bars may still be on their way, yesterday's must be there);
* ``duration`` (default for intraday views, 1 hour): the newest row's age; ``warn`` from
  ``warn_fraction`` of the limit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

Status = Literal["ok", "warn", "critical"]
STATUS_RANK: dict[str, int] = {"ok": 0, "warn": 1, "critical": 2}


class SessionSLA(BaseModel):
    """At most ``sessions`` sessions closed since the newest row."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["sessions"] = "sessions"
    """SLA kind selector."""

    sessions: int = Field(default=1, ge=0)
    """Sessions that may close after the newest row before the view is stale."""

    calendar: str = "XNYS"
    """The exchange calendar whose session closes count."""


class DurationSLA(BaseModel):
    """The newest row at most ``max_age_minutes`` old."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["duration"] = "duration"
    """SLA kind selector."""

    max_age_minutes: float = Field(default=60, gt=0)
    """Age of the newest row beyond which the view is stale."""

    warn_fraction: float = Field(default=0.75, gt=0, le=1)
    """Age, as a share of the limit, from which the view is reported as ageing (warn)."""


SLA = Annotated[SessionSLA | DurationSLA, Field(discriminator="type")]


class SLAConfig(BaseModel):
    """Freshness SLAs: defaults by view frequency, and per view."""

    model_config = ConfigDict(extra="forbid")

    daily: SessionSLA = Field(default_factory=SessionSLA)
    """For views without a ``frequency`` tag or tagged ``daily``."""

    intraday: DurationSLA = Field(default_factory=DurationSLA)
    """For views tagged ``frequency: intraday``."""

    views: dict[str, SLA] = Field(default_factory=dict)
    """Per-view SLAs, by view name."""

    def for_view(self, name: str, frequency: str | None = None) -> SessionSLA | DurationSLA:
        if name in self.views:
            return self.views[name]
        return self.intraday if frequency == "intraday" else self.daily


@dataclass
class Freshness:
    """A view's freshness at one moment."""

    feature_view: str
    status: Status
    newest_event: str | None
    detail: str
    sla: str


def describe(sla: SessionSLA | DurationSLA) -> str:
    if isinstance(sla, SessionSLA):
        return f"<= {sla.sessions} {sla.calendar} session(s) behind"
    return f"<= {sla.max_age_minutes:g} min old"


def check(
    view: str,
    sla: SessionSLA | DurationSLA,
    newest: datetime | None,
    now: datetime,
    closes: pd.DatetimeIndex | None = None,
) -> Freshness:
    """The view's status; ``closes`` (UTC session closes up to ``now``) for session SLAs."""
    if newest is None:
        return Freshness(view, "critical", None, "no rows online", describe(sla))
    if isinstance(sla, SessionSLA):
        assert closes is not None, "session SLAs need the calendar's closes"
        behind = _sessions_behind(closes, np.datetime64(newest.replace(tzinfo=None)), now)
        status: Status = "ok" if behind <= sla.sessions else "critical"
        detail = f"newest row {newest:%Y-%m-%d %H:%M} UTC, {behind} session(s) behind"
    else:
        age = now - newest
        limit = timedelta(minutes=sla.max_age_minutes)
        status = "critical" if age > limit else "warn" if age > limit * sla.warn_fraction else "ok"
        detail = f"newest row {newest:%Y-%m-%d %H:%M} UTC, {age.total_seconds() / 60:,.0f} min old"
    return Freshness(view, status, newest.isoformat(), detail, describe(sla))


def _sessions_behind(closes: pd.DatetimeIndex, newest: np.datetime64, now: datetime) -> int:
    values = closes.tz_convert("UTC").tz_localize(None).to_numpy()
    end = np.datetime64(pd.Timestamp(now).tz_convert("UTC").tz_localize(None))
    return int(np.searchsorted(values, end, "right") - np.searchsorted(values, newest, "right"))


def sla_history(
    view: str,
    sla: SessionSLA | DurationSLA,
    observations: Sequence[tuple[datetime, datetime]],
    start: datetime,
    end: datetime,
    closes: pd.DatetimeIndex | None = None,
    step: timedelta = timedelta(minutes=15),
) -> float | None:
    """Share of ``[start, end]`` (sampled every ``step``) during which the view met its SLA.

    ``observations``: ``(observed_at, newest event time)`` pairs; between two of them the
    newest event time is the latest observed. Moments before the first observation are not
    counted; None when there are none in the window.
    """
    if not observations:
        return None
    seen = sorted(observations)
    stamps = np.array([pd.Timestamp(t).value for t, _ in seen], dtype=np.int64)
    newest_so_far = np.maximum.accumulate(
        np.array([pd.Timestamp(n).value for _, n in seen], dtype=np.int64)
    )
    ok = total = 0
    moment = start
    while moment <= end:
        i = int(np.searchsorted(stamps, pd.Timestamp(moment).value, "right"))
        if i:
            newest = pd.Timestamp(int(newest_so_far[i - 1]), tz="UTC").to_pydatetime()
            total += 1
            ok += check(view, sla, newest, moment, closes).status != "critical"
        moment += step
    return ok / total if total else None
