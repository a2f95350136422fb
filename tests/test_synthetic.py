"""The synthetic bar generator: deterministic, on the trading calendar, OHLC-consistent."""

from datetime import UTC, datetime

import pandas as pd
import pytest

from axiom_features.calendar import is_session
from axiom_features.synthetic.bars import generate_bars

END = datetime(2025, 12, 31, 23, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def bars() -> pd.DataFrame:
    return generate_bars(4, 300, seed=11, end=END)


def test_same_seed_gives_identical_bars(bars: pd.DataFrame) -> None:
    again = generate_bars(4, 300, seed=11, end=END)
    cols = ["symbol", "event_timestamp", "open", "high", "low", "close", "volume"]
    pd.testing.assert_frame_equal(bars[cols], again[cols])


def test_another_seed_gives_other_prices(bars: pd.DataFrame) -> None:
    other = generate_bars(4, 300, seed=12, end=END)
    assert not (other["close"].to_numpy() == bars["close"].to_numpy()).all()


def test_a_symbol_does_not_depend_on_which_others_are_generated(bars: pd.DataFrame) -> None:
    alone = generate_bars(["BLQ"], 300, seed=11, end=END)
    together = bars[bars["symbol"] == "BLQ"].reset_index(drop=True)
    assert alone["close"].tolist() == together["close"].tolist()


def test_bars_fall_on_sessions_and_are_stamped_at_the_close(bars: pd.DataFrame) -> None:
    stamps = pd.DatetimeIndex(bars["event_timestamp"].unique())
    assert is_session(stamps).all()
    assert pd.Timestamp("2025-12-25T21:00Z") not in stamps  # Christmas
    assert pd.Timestamp("2025-07-04T20:00Z") not in stamps  # Independence Day
    assert pd.Timestamp("2025-07-03T17:00Z") in stamps  # early close at 13:00 New York
    assert set(stamps.hour) <= {17, 18, 20, 21}
    assert stamps.max() <= END
    assert len(stamps) == 300


def test_prices_are_ohlc_consistent_and_volume_positive(bars: pd.DataFrame) -> None:
    assert (bars["high"] >= bars[["open", "close", "low"]].max(axis=1)).all()
    assert (bars["low"] <= bars[["open", "close"]].min(axis=1)).all()
    assert (bars[["open", "high", "low", "close"]] > 0).all().all()
    assert (bars["volume"] > 0).all()


def test_returns_show_fat_tails_and_volatility_clustering(bars: pd.DataFrame) -> None:
    returns = bars.groupby("symbol")["close"].transform(lambda c: c.pct_change()).dropna()
    assert returns.kurt() > 0.5  # heavier tails than a normal distribution
    abs_returns = bars.assign(r=bars.groupby("symbol")["close"].pct_change().abs()).dropna()
    autocorr = abs_returns.groupby("symbol")["r"].apply(lambda r: r.autocorr(lag=1)).mean()
    assert autocorr > 0.0
