"""FX (24x5) and crypto (24x7) calendars, and a hint when the chosen calendar does not fit."""

from __future__ import annotations

import numpy as np
import pandas as pd

from axiom_features.ingest import import_bars
from axiom_features.paths import RepoPaths


def _daily(days: pd.DatetimeIndex, symbol: str) -> pd.DataFrame:
    close = 100 * np.exp(np.cumsum(np.random.default_rng(1).normal(0, 0.01, len(days))))
    return pd.DataFrame(
        {
            "date": days.strftime("%Y-%m-%d"),
            "symbol": symbol,
            "open": close,
            "high": close * 1.01,
            "low": close * 0.99,
            "close": close,
            "volume": 1000.0,
        }
    )


def test_crypto_bars_on_the_crypto_calendar_close_at_the_end_of_their_utc_day(tmp_path):
    days = pd.date_range("2024-01-01", "2024-03-31", freq="D")
    path = tmp_path / "btc.csv"
    _daily(days, "BTC-USD").to_csv(path, index=False)

    result = import_bars(path, RepoPaths(tmp_path / "repo"), run_id="r1", calendar="CRYPTO")

    assert "trading_calendar" not in result.rule_counts and result.hints == []
    stored = pd.read_parquet(tmp_path / "repo" / "data" / "lake" / "bars")
    month_end = stored[stored["event_timestamp"].dt.strftime("%m-%d") == "02-01"]
    assert month_end["event_timestamp"].iloc[0] == pd.Timestamp("2024-02-01", tz="UTC")


def test_fx_bars_on_the_fx_calendar_raise_no_calendar_warnings(tmp_path):
    days = pd.bdate_range("2024-01-01", "2024-03-29")  # FX trades on US holidays too
    path = tmp_path / "eurusd.csv"
    _daily(days, "EURUSD").to_csv(path, index=False)

    result = import_bars(path, RepoPaths(tmp_path / "repo"), run_id="r1", calendar="FX")

    assert "trading_calendar" not in result.rule_counts and result.hints == []


def test_crypto_bars_under_the_default_calendar_get_a_hint_naming_the_one_that_fits(tmp_path):
    days = pd.date_range("2024-01-06", periods=60, freq="D") + pd.Timedelta(hours=12)
    frame = _daily(days, "ETH-USD").assign(date=days.strftime("%Y-%m-%dT%H:%M:%SZ"))
    frame = frame[days.dayofweek >= 5]  # weekend bars: off every exchange calendar
    path = tmp_path / "eth.csv"
    frame.to_csv(path, index=False)

    result = import_bars(path, RepoPaths(tmp_path / "repo"), run_id="r1")

    assert result.hints == ["most bars fall outside the XNYS calendar; --calendar CRYPTO fits them"]
