"""The news-sentiment family: VADER scores of a symbol's headlines, aggregated per bar.

Each headline gets VADER's compound score in [-1, 1] (positive at >= 0.05, negative at
<= -0.05, VADER's own thresholds). Bar ``k`` at time ``t_k`` (its close) owns the headlines
published in ``(t_{k-1}, t_k]``: news after a close, overnight or over a weekend lands on the
next bar, never on the bar already closed.

``sentiment_daily`` (per bar window): mean, count, population std (0 for one headline),
positive and negative share, max and min of the scores. A window without headlines has
count 0 and every other value NaN. The first bar has no previous bar, so no window: all its
values are NaN (warm-up 1).

``sentiment_trend`` (headlines at or before ``t`` only):

- ``sent_decay_<h>d``: mean score weighted by ``0.5 ** (age_days / h)``, the age being
  ``t - published_at``; every headline at or before ``t`` counts. NaN before the first one.
- ``sent_mean_<n>b`` / ``sent_count_<n>b``: mean and count of the headlines in
  ``(t_{k-n}, t_k]``, the last ``n`` bar windows (warm-up ``n``; mean NaN when count is 0).
- ``sent_count_z_60b``: this bar's count against the counts of the 60 bars before it,
  ``(count - mean) / std`` (sample std); NaN when those 60 counts are all equal.
- ``sent_days_since``: days from the last headline at or before ``t`` to ``t`` (NaN if none).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta
from functools import cache, lru_cache

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from transforms.family import SymbolInputs
from transforms.specs import FeatureSpec, ViewSpec

VERSION = "sentiment-vader-1"
TTL = timedelta(days=7)
POSITIVE = 0.05
NEGATIVE = -0.05
HALF_LIVES_DAYS: tuple[int, ...] = (3, 10)
ROLLING_BARS: tuple[int, ...] = (5, 20)
ZSCORE_BARS = 60
INPUTS: tuple[str, ...] = ("headline", "published_at")
DAY_NS = 86_400 * 10**9

DAILY_VIEW = "sentiment_daily"
TREND_VIEW = "sentiment_trend"


@cache
def _analyzer() -> SentimentIntensityAnalyzer:
    """One analyzer per process (it loads the lexicon shipped inside the package)."""
    return SentimentIntensityAnalyzer()


@lru_cache(maxsize=1 << 18)
def headline_compound(headline: str) -> float:
    """VADER's compound score of one headline (cached per process)."""
    return float(_analyzer().polarity_scores(headline)["compound"])


def score_headlines(headlines: Iterable[str]) -> np.ndarray:
    """Compound scores, float64, in the order given; each distinct headline scored once."""
    values = pd.Series(list(headlines), dtype=object)
    if values.empty:
        return np.empty(0, dtype=np.float64)
    codes, uniques = pd.factorize(values)
    scores = np.fromiter((headline_compound(str(h)) for h in uniques), np.float64, len(uniques))
    return scores[codes]


def _spec(
    name: str, view: str, function: str, warmup: int, description: str, **parameters: int | float
) -> FeatureSpec:
    return FeatureSpec(
        name=name,
        view=view,
        function=function,
        inputs=INPUTS,
        parameters=parameters,
        output=function,
        dtype="float64",
        version=VERSION,
        description=description,
        warmup=warmup,
        transform="sentiment",
    )


def _daily_features() -> tuple[FeatureSpec, ...]:
    window = "of headlines published since the previous bar's close"
    return (
        _spec("sent_mean", DAILY_VIEW, "mean", 1, f"Mean VADER compound score {window}"),
        _spec("sent_count", DAILY_VIEW, "count", 1, f"Number {window}"),
        _spec("sent_std", DAILY_VIEW, "std", 1, f"Population std of VADER scores {window}"),
        _spec("sent_pos_share", DAILY_VIEW, "pos_share", 1,
              f"Share of positive (compound >= 0.05) {window}", threshold=POSITIVE),
        _spec("sent_neg_share", DAILY_VIEW, "neg_share", 1,
              f"Share of negative (compound <= -0.05) {window}", threshold=NEGATIVE),
        _spec("sent_max", DAILY_VIEW, "max", 1, f"Highest VADER compound score {window}"),
        _spec("sent_min", DAILY_VIEW, "min", 1, f"Lowest VADER compound score {window}"),
    )  # fmt: skip


def _trend_features() -> tuple[FeatureSpec, ...]:
    decay = tuple(
        _spec(f"sent_decay_{h}d", TREND_VIEW, "decay_mean", 0,
              f"VADER score of all headlines so far, weighted by a {h}-day half-life on age",
              half_life_days=h)
        for h in HALF_LIVES_DAYS
    )  # fmt: skip
    rolling = tuple(
        spec
        for n in ROLLING_BARS
        for spec in (
            _spec(f"sent_mean_{n}b", TREND_VIEW, "rolling_mean", n,
                  f"Mean VADER score of headlines over the last {n} bars", bars=n),
            _spec(f"sent_count_{n}b", TREND_VIEW, "rolling_count", n,
                  f"Number of headlines over the last {n} bars", bars=n),
        )
    )  # fmt: skip
    return (
        *decay,
        *rolling,
        _spec(f"sent_count_z_{ZSCORE_BARS}b", TREND_VIEW, "count_zscore", ZSCORE_BARS + 1,
              f"Headline count z-score against the previous {ZSCORE_BARS} bars",
              bars=ZSCORE_BARS),
        _spec("sent_days_since", TREND_VIEW, "days_since_last", 0,
              "Days since the last headline published at or before the bar"),
    )  # fmt: skip


@cache
def sentiment_views() -> tuple[ViewSpec, ...]:
    """The family's two views (built once per process)."""
    return (
        ViewSpec(DAILY_VIEW, "News sentiment of each bar's headlines", _daily_features(), TTL),
        ViewSpec(TREND_VIEW, "News sentiment and volume over several bars", _trend_features(), TTL),
    )


def _ns(values: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    index = pd.DatetimeIndex(values)
    index = index.tz_localize("UTC") if index.tz is None else index
    return index.as_unit("ns").asi8


def _sum_by(bar: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Sum of ``values`` per bar, float64, length ``n``."""
    return np.bincount(bar, weights=values, minlength=n).astype(np.float64, copy=False)


def _window_stats(bar: np.ndarray, scores: np.ndarray, n: int) -> dict[str, np.ndarray]:
    """Per-bar aggregates; ``bar`` is each headline's bar (all < n). Row 0 is NaN."""
    count = _sum_by(bar, np.ones(len(bar)), n)
    total = _sum_by(bar, scores, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / count
        deviation = scores - mean[bar]
        std = np.sqrt(_sum_by(bar, deviation * deviation, n) / count)
        pos = _sum_by(bar, (scores >= POSITIVE).astype(np.float64), n) / count
        neg = _sum_by(bar, (scores <= NEGATIVE).astype(np.float64), n) / count
    high, low = np.full(n, -np.inf), np.full(n, np.inf)
    np.maximum.at(high, bar, scores)
    np.minimum.at(low, bar, scores)
    empty = count == 0
    high[empty], low[empty] = np.nan, np.nan
    stats = {"mean": mean, "count": count, "std": std, "pos_share": pos, "neg_share": neg,
             "max": high, "min": low, "sum": total}  # fmt: skip
    for values in stats.values():
        values[:1] = np.nan
    return stats


def _rolling(count: np.ndarray, total: np.ndarray, bars: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and count over the last ``bars`` windows (rows before ``bars`` NaN)."""
    n = len(count)
    counts, sums = np.full(n, np.nan), np.full(n, np.nan)
    if n > bars:
        c = np.concatenate(([0.0], np.cumsum(count[1:])))
        s = np.concatenate(([0.0], np.cumsum(total[1:])))
        counts[bars:] = c[bars:] - c[:-bars]
        sums[bars:] = s[bars:] - s[:-bars]
    with np.errstate(invalid="ignore", divide="ignore"):
        return sums / counts, counts


def _count_zscore(count: np.ndarray, bars: int) -> np.ndarray:
    """(count - mean) / std of the ``bars`` counts before each row; rows before ``bars+1`` NaN."""
    n = len(count)
    z = np.full(n, np.nan)
    if n > bars + 1:
        history = sliding_window_view(count[1:], bars)[:-1]
        mean, std = history.mean(axis=1), history.std(axis=1, ddof=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            z[bars + 1 :] = np.where(std > 0, (count[bars + 1 :] - mean) / std, np.nan)
    return z


def _decay_mean(
    times: np.ndarray, bar: np.ndarray, published: np.ndarray, scores: np.ndarray, half_life: float
) -> np.ndarray:
    """Half-life-weighted mean of every score published at or before each bar time."""
    n = len(times)
    rate = np.log(2.0) / (half_life * DAY_NS)
    fresh = np.exp(-rate * (times[bar] - published))
    new_sum = _sum_by(bar, scores * fresh, n)
    new_weight = _sum_by(bar, fresh, n)
    carry = np.exp(-rate * np.diff(times, prepend=times[:1]))
    out = np.full(n, np.nan)
    weighted, weight = 0.0, 0.0
    for k in range(n):
        weighted = weighted * carry[k] + new_sum[k]
        weight = weight * carry[k] + new_weight[k]
        if weight > 0:
            out[k] = weighted / weight
    return out


def _days_since(times: np.ndarray, published: np.ndarray) -> np.ndarray:
    last = np.searchsorted(published, times, side="right") - 1
    safe = np.maximum(last, 0)
    days = (times - published[safe]) / DAY_NS if len(published) else np.zeros(len(times))
    return np.where(last >= 0, days, np.nan)


def _scored(news: pd.DataFrame | None) -> tuple[np.ndarray, np.ndarray]:
    """Publication times (ns, sorted) and the matching compound scores."""
    if news is None or news.empty:
        return np.empty(0, np.int64), np.empty(0, np.float64)
    published = _ns(news["published_at"])
    order = np.argsort(published, kind="stable")
    return published[order], score_headlines(news["headline"].to_numpy()[order])


def compute_sentiment(
    bar_times: pd.Series | pd.DatetimeIndex, news: pd.DataFrame | None
) -> dict[str, np.ndarray]:
    """Every feature of the family, by name, for bars at ``bar_times`` (sorted, UTC)."""
    times = _ns(bar_times)
    n = len(times)
    published, scores = _scored(news)
    bar = np.searchsorted(times, published, side="left")
    known = bar < n
    bar, on_time, scores_known = bar[known], published[known], scores[known]

    stats = _window_stats(bar, scores_known, n)
    out = {f"sent_{k}": v for k, v in stats.items() if k != "sum"}
    for h in HALF_LIVES_DAYS:
        out[f"sent_decay_{h}d"] = _decay_mean(times, bar, on_time, scores_known, h)
    for b in ROLLING_BARS:
        out[f"sent_mean_{b}b"], out[f"sent_count_{b}b"] = _rolling(stats["count"], stats["sum"], b)
    out[f"sent_count_z_{ZSCORE_BARS}b"] = _count_zscore(stats["count"], ZSCORE_BARS)
    out["sent_days_since"] = _days_since(times, on_time)
    return out


class SentimentFamily:
    """News sentiment per bar; reads ``inputs.news`` (headline, published_at)."""

    name = "sentiment"
    needs = frozenset({"news"})

    def views(self) -> list[ViewSpec]:
        return list(sentiment_views())

    def compute(self, views: Sequence[ViewSpec], inputs: SymbolInputs) -> pd.DataFrame:
        """One float64 column per feature of ``views``, one row per bar, bars' index."""
        features = [f for view in views for f in view.features]
        strays = [f.name for f in features if f.transform != self.name]
        if strays:
            raise ValueError(f"features not of the sentiment family: {strays}")
        values = compute_sentiment(inputs.bars["event_timestamp"], inputs.news)
        missing = [f.name for f in features if f.name not in values]
        if missing:
            raise ValueError(f"unknown sentiment features: {missing}")
        return pd.DataFrame(
            {f.name: values[f.name] for f in features}, index=inputs.bars.index, dtype=np.float64
        )


SENTIMENT = SentimentFamily()
"""The sentiment family (implements :class:`transforms.family.Family`)."""
