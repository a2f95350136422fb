"""Which headlines each bar sees, and how they are aggregated, on small hand-made cases.

Bar ``t`` owns the headlines published in ``(previous bar, t]``; multi-bar features use only
headlines at or before ``t``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from axiom_features.synthetic.bars import generate_bars
from axiom_features.synthetic.news import generate_news
from transforms.family import SymbolInputs
from transforms.sentiment import SENTIMENT, headline_compound

UP, DOWN, FLAT = "AXM posts strong quarterly profit", "AXM warns of weak demand", "AXM files report"
WIN, FRAUD = "AXM wins major contract", "AXM hit by fraud probe"


def _ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def _bars(times: list[str]) -> pd.DataFrame:
    stamps = pd.DatetimeIndex([_ts(t) for t in times]).astype("datetime64[us, UTC]")
    return pd.DataFrame({"event_timestamp": stamps, "close": 10.0})


def _news(rows: list[tuple[str, str]]) -> pd.DataFrame:
    stamps = pd.DatetimeIndex([_ts(t) for t, _ in rows]).astype("datetime64[us, UTC]")
    return pd.DataFrame({"published_at": stamps, "headline": [h for _, h in rows]})


def _compute(bars: pd.DataFrame, news: pd.DataFrame | None) -> pd.DataFrame:
    return SENTIMENT.compute(SENTIMENT.views(), SymbolInputs("AXM", bars, news=news))


WEEK = _bars(
    [
        "2024-03-06 21:00",  # Wed: first bar, no window
        "2024-03-07 21:00",  # Thu
        "2024-03-08 21:00",  # Fri
        "2024-03-11 20:00",  # Mon
        "2024-03-12 20:00",  # Tue: no news
    ]
)
WEEK_NEWS = _news(
    [
        ("2024-03-06 12:00", FRAUD),  # before the first bar
        ("2024-03-07 15:00", UP),  # Thu, during the session
        ("2024-03-07 21:00:00", DOWN),  # Thu, at the close: still Thu
        ("2024-03-07 21:00:01", FLAT),  # one second after Thu's close: Fri
        ("2024-03-09 10:00", WIN),  # Sat: Mon
        ("2024-03-10 18:00", FRAUD),  # Sun: Mon
        ("2024-03-11 19:59:59", FLAT),  # Mon, before the close
    ]
)


@pytest.fixture(scope="module")
def week() -> pd.DataFrame:
    return _compute(WEEK, WEEK_NEWS)


def test_counts_per_bar_window(week: pd.DataFrame) -> None:
    assert np.isnan(week["sent_count"].iloc[0])
    assert week["sent_count"].tolist()[1:] == [2.0, 1.0, 3.0, 0.0]


def test_a_headline_one_second_after_the_close_counts_for_the_next_bar_only() -> None:
    at_close = _compute(WEEK, _news([("2024-03-07 21:00:00", UP)]))
    after = _compute(WEEK, _news([("2024-03-07 21:00:01", UP)]))
    assert at_close["sent_count"].tolist()[1:3] == [1.0, 0.0]
    assert after["sent_count"].tolist()[1:3] == [0.0, 1.0]
    assert np.isnan(after["sent_mean"].iloc[1])
    assert after["sent_mean"].iloc[2] == headline_compound(UP)


def test_weekend_news_lands_on_mondays_bar(week: pd.DataFrame) -> None:
    monday = week.iloc[3]
    scores = np.array([headline_compound(h) for h in (WIN, FRAUD, FLAT)])
    assert monday["sent_count"] == 3
    assert monday["sent_mean"] == pytest.approx(scores.mean())
    assert monday["sent_std"] == pytest.approx(scores.std())
    assert monday["sent_max"] == scores.max() and monday["sent_min"] == scores.min()
    assert monday["sent_pos_share"] == pytest.approx(1 / 3)
    assert monday["sent_neg_share"] == pytest.approx(1 / 3)


def test_daily_aggregates_of_thursday(week: pd.DataFrame) -> None:
    up, down = headline_compound(UP), headline_compound(DOWN)
    thursday = week.iloc[1]
    assert thursday["sent_mean"] == pytest.approx((up + down) / 2)
    assert thursday["sent_std"] == pytest.approx(abs(up - down) / 2)
    assert (thursday["sent_max"], thursday["sent_min"]) == (up, down)
    assert (thursday["sent_pos_share"], thursday["sent_neg_share"]) == (0.5, 0.5)
    friday = week.iloc[2]
    assert (friday["sent_mean"], friday["sent_std"], friday["sent_pos_share"]) == (0.0, 0.0, 0.0)


def test_a_window_without_news_has_count_zero_and_nan_aggregates(week: pd.DataFrame) -> None:
    tuesday = week.iloc[4]
    assert tuesday["sent_count"] == 0
    for name in ("sent_mean", "sent_std", "sent_pos_share", "sent_neg_share", "sent_max"):
        assert np.isnan(tuesday[name]), name


def test_days_since_the_last_headline(week: pd.DataFrame) -> None:
    assert week["sent_days_since"].iloc[0] == pytest.approx(9 / 24)
    assert week["sent_days_since"].iloc[1] == 0.0
    assert week["sent_days_since"].iloc[4] == pytest.approx(1 + 1 / 86400)
    assert np.isnan(_compute(WEEK, None)["sent_days_since"]).all()


def test_decay_weights_halve_every_half_life() -> None:
    bars = _bars(["2024-03-01 21:00", "2024-03-04 21:00", "2024-03-05 21:00"])
    news = _news([("2024-03-01 21:00", UP), ("2024-03-04 21:00", DOWN)])
    out = _compute(bars, news)
    up, down = headline_compound(UP), headline_compound(DOWN)
    # At the 2nd bar: UP is 3 days old, DOWN is new. At the 3rd: ages 4 and 1 days.
    w3, w10 = 0.5, 0.5 ** (3 / 10)
    assert out["sent_decay_3d"].iloc[0] == pytest.approx(up)
    assert out["sent_decay_3d"].iloc[1] == pytest.approx((w3 * up + down) / (w3 + 1))
    assert out["sent_decay_10d"].iloc[1] == pytest.approx((w10 * up + down) / (w10 + 1))
    a, b = 0.5 ** (4 / 3), 0.5 ** (1 / 3)
    assert out["sent_decay_3d"].iloc[2] == pytest.approx((a * up + b * down) / (a + b))


def test_decay_is_nan_before_the_first_headline() -> None:
    out = _compute(WEEK, _news([("2024-03-08 12:00", UP)]))
    assert out["sent_decay_3d"].isna().tolist() == [True, True, False, False, False]


@pytest.fixture(scope="module")
def ramp() -> tuple[pd.DataFrame, np.ndarray]:
    """70 weekday bars; bar k gets k % 4 headlines (UP, DOWN, FLAT), two hours before close."""
    times = pd.date_range("2024-01-02 21:00", periods=70, freq="B", tz="UTC")
    bars = pd.DataFrame({"event_timestamp": times, "close": 1.0})
    rows = [
        (t - pd.Timedelta(hours=2, minutes=j), (UP, DOWN, FLAT)[j])
        for k, t in enumerate(times)
        for j in range(k % 4)
    ]
    news = pd.DataFrame({"published_at": [t for t, _ in rows], "headline": [h for _, h in rows]})
    return _compute(bars, news), np.arange(70) % 4


def test_rolling_counts_and_means_cover_the_last_n_bars(ramp) -> None:
    out, counts = ramp
    assert out["sent_count_5b"].iloc[:5].isna().all()
    assert out["sent_count_5b"].iloc[5] == counts[1:6].sum()
    assert out["sent_count_20b"].iloc[40] == counts[21:41].sum()
    per = [0.0, headline_compound(UP), headline_compound(UP) + headline_compound(DOWN)]
    per.append(per[2] + headline_compound(FLAT))
    sums = np.array([per[c] for c in counts])
    assert out["sent_mean_5b"].iloc[9] == pytest.approx(sums[5:10].sum() / counts[5:10].sum())


def test_news_volume_z_score_against_the_previous_60_bars(ramp) -> None:
    out, counts = ramp
    z = out["sent_count_z_60b"]
    assert z.iloc[:61].isna().all()
    history = counts[5:65]
    assert z.iloc[65] == pytest.approx((counts[65] - history.mean()) / history.std(ddof=1))


def test_no_look_ahead_values_at_t_ignore_later_bars_and_headlines() -> None:
    end = pd.Timestamp("2024-06-28", tz="UTC")
    bars = generate_bars(["AXM"], 260, seed=5, end=end, created_at=end)
    sessions = pd.DatetimeIndex(bars["event_timestamp"])
    news = generate_news(["AXM"], sessions, seed=5, per_day=1.5, bars=bars)
    full = _compute(bars, news)
    rng = np.random.default_rng(0)
    for k in sorted(rng.choice(len(bars), size=8, replace=False)):
        cut = sessions[k]
        past = _compute(bars.iloc[: k + 1], news[news["published_at"] <= cut])
        np.testing.assert_array_equal(past.to_numpy(), full.iloc[: k + 1].to_numpy())
