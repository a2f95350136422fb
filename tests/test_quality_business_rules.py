"""Business rules: future bars, shifted timestamps, calendar, split continuity, symbols."""

from __future__ import annotations

import numpy as np
import pandas as pd

from axiom_features.quality import GateContext, validate_bars
from tests.quality_helpers import NOW, clean_bars


def _gate(bars: pd.DataFrame, **context) -> dict[int, str]:
    context.setdefault("now", pd.Timestamp(NOW))
    result = validate_bars(bars, context=GateContext(**context))
    held = result.rejected["failed_rules"].to_dict()
    return {**held, **{k: f"warn:{v}" for k, v in result.warnings.to_dict().items()}}


def test_clean_synthetic_bars_pass_every_rule():
    assert _gate(clean_bars(5, 250)) == {}


def test_a_bar_stamped_in_the_future_is_held():
    bars = clean_bars(1, 60)
    bars.loc[59, "event_timestamp"] = pd.Timestamp(NOW) + pd.Timedelta(days=2)

    assert _gate(bars)[59].split(";")[0] == "future_bar"


def test_a_daily_bar_shifted_off_its_session_close_is_held():
    bars = clean_bars(1, 60)
    bars.loc[30, "event_timestamp"] -= pd.Timedelta(hours=5)
    bars.loc[40, "event_timestamp"] -= pd.Timedelta(hours=21)

    held = {k: v for k, v in _gate(bars).items() if not v.startswith("warn:")}
    assert held == {30: "session_close", 40: "session_close"}


def test_intraday_bars_are_not_held_for_being_off_the_close():
    stamps = pd.date_range("2026-06-29 14:00", periods=30, freq="5min", tz="UTC")
    bars = clean_bars(1, 30).assign(event_timestamp=stamps.astype("datetime64[us, UTC]"))
    assert "session_close" not in ";".join(_gate(bars).values())


def test_a_bar_on_a_holiday_warns_when_alone():
    bars = clean_bars(1, 3)
    bars.loc[2, "event_timestamp"] = pd.Timestamp("2026-07-03 20:00", tz="UTC")  # observed 4th

    found = _gate(bars, now=pd.Timestamp("2026-07-06", tz="UTC"))
    assert found == {2: "warn:trading_calendar"}  # kept


def test_a_holiday_bar_inside_a_daily_series_is_held_as_shifted():
    bars = clean_bars(1, 60)
    bars.loc[59, "event_timestamp"] = pd.Timestamp("2026-07-03 20:00", tz="UTC")

    found = _gate(bars, now=pd.Timestamp("2026-07-06", tz="UTC"))
    assert found[59] == "session_close"


def test_an_unadjusted_split_warns_on_the_first_bar_after_it():
    bars = clean_bars(1, 60)
    bars.loc[45:, ["open", "high", "low", "close"]] /= 4.0

    found = _gate(bars)
    assert "split_continuity" in found[45]
    assert all(k == 45 or "split" not in v for k, v in found.items())


def test_symbols_outside_the_allowed_list_are_held():
    bars = clean_bars(["AXM", "BLQ"], 30)
    found = _gate(bars, allowed_symbols=["AXM"])
    assert set(found.values()) == {"allowed_symbol"}
    assert np.array_equal(sorted(found), np.flatnonzero(bars["symbol"] == "BLQ"))
