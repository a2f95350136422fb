"""The synthetic headline generator: deterministic, realistic timing, tone that follows the day."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from axiom_features.contracts.news import NEWS_SCHEMA
from axiom_features.synthetic.bars import DEMO_SYMBOLS, generate_bars
from axiom_features.synthetic.news import generate_news
from axiom_features.synthetic.news_templates import BY_TONE
from transforms.sentiment import headline_compound

END = pd.Timestamp("2024-06-28", tz="UTC")
SYMBOLS = ["AXM", "BLQ"]


@pytest.fixture(scope="module")
def bars() -> pd.DataFrame:
    return generate_bars(SYMBOLS, 500, seed=3, end=END, created_at=END)


@pytest.fixture(scope="module")
def sessions(bars: pd.DataFrame) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(bars["event_timestamp"].unique())


def test_the_same_arguments_give_the_same_headlines(sessions: pd.DatetimeIndex) -> None:
    first = generate_news(SYMBOLS, sessions, seed=11)
    pd.testing.assert_frame_equal(first, generate_news(SYMBOLS, sessions, seed=11))
    assert not first.equals(generate_news(SYMBOLS, sessions, seed=12))


def test_output_is_in_the_news_contract(sessions: pd.DatetimeIndex) -> None:
    news = generate_news(SYMBOLS, sessions, seed=11, source="demo")
    table = pa.Table.from_pandas(news, schema=NEWS_SCHEMA, preserve_index=False)
    assert table.schema.equals(NEWS_SCHEMA, check_metadata=False)
    assert (news["source"] == "demo").all()
    assert (news["created_timestamp"] == news["published_at"]).all()
    assert not news.duplicated(["symbol", "published_at", "headline", "source"]).any()


def test_a_few_headlines_per_symbol_per_week(sessions: pd.DatetimeIndex) -> None:
    news = generate_news(SYMBOLS, sessions, seed=11, per_day=0.5)
    weeks = (sessions[-1] - sessions[0]).days / 7
    per_week = news.groupby("symbol").size() / weeks
    assert per_week.between(2.5, 4.5).all()


def test_times_fall_in_and_out_of_market_hours_and_on_weekends(
    sessions: pd.DatetimeIndex,
) -> None:
    times = pd.DatetimeIndex(generate_news(SYMBOLS, sessions, seed=11)["published_at"])
    assert times.min() > sessions[0] - pd.Timedelta(days=3)
    assert times.max() <= sessions[-1]
    assert (times.dayofweek >= 5).sum() > 20
    landing = sessions[np.searchsorted(sessions, times, side="left")]
    during = (landing - times) <= pd.Timedelta(hours=6.5)
    assert 0.4 < during.mean() < 0.8


def test_every_template_scores_with_the_sign_of_its_tone() -> None:
    for symbol in DEMO_SYMBOLS:
        for tone, templates in BY_TONE.items():
            for template in templates:
                score = headline_compound(template.format(s=symbol))
                expected = {"positive": score >= 0.05, "negative": score <= -0.05}
                assert expected.get(tone, score == 0.0), (tone, template, symbol, score)


def test_tone_follows_the_same_days_return(bars: pd.DataFrame, sessions) -> None:
    news = generate_news(SYMBOLS, sessions, seed=11, bars=bars, per_day=2.0)
    news["score"] = [headline_compound(h) for h in news["headline"]]
    news["date"] = news["published_at"].dt.normalize()
    day_tone = news.groupby(["symbol", "date"])["score"].mean()
    returns = bars.assign(
        date=bars["event_timestamp"].dt.normalize(),
        ret=bars.groupby("symbol")["close"].transform(lambda c: np.log(c).diff()),
    ).set_index(["symbol", "date"])["ret"]
    joined = pd.concat([day_tone, returns], axis=1, join="inner").dropna()
    assert joined["score"].corr(joined["ret"]) > 0.3


def test_news_up_to_a_bar_ignores_the_bars_after_it(bars: pd.DataFrame, sessions) -> None:
    cut = sessions[300]
    changed = bars.copy()
    later = changed["event_timestamp"] > cut
    changed.loc[later, "close"] = changed.loc[later, "close"] * np.linspace(0.5, 2.0, later.sum())
    original = generate_news(SYMBOLS, sessions, seed=11, bars=bars)
    altered = generate_news(SYMBOLS, sessions, seed=11, bars=changed)
    up_to = original["published_at"] <= cut
    pd.testing.assert_frame_equal(original[up_to], altered[altered["published_at"] <= cut])
    assert not original.equals(altered)


def test_created_at_stamps_every_row(sessions: pd.DatetimeIndex) -> None:
    news = generate_news(["AXM"], sessions[:20], seed=1, created_at=pd.Timestamp("2024-07-01"))
    assert (news["created_timestamp"] == pd.Timestamp("2024-07-01", tz="UTC")).all()
