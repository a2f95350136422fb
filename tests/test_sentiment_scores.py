"""Headline scores are VADER's compound score, computed from the lexicon shipped in the package."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import vaderSentiment
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from transforms.sentiment import _analyzer, headline_compound, score_headlines

HEADLINES = [
    "AXM posts strong quarterly profit",
    "AXM warns of weak demand",
    "AXM files annual report",
    "Markets are GREAT today!!! :)",
    "not good, not terrible",
]


def test_scores_equal_a_direct_sentiment_intensity_analyzer_call() -> None:
    direct = SentimentIntensityAnalyzer()
    for headline in HEADLINES:
        assert headline_compound(headline) == direct.polarity_scores(headline)["compound"]


def test_scores_keep_order_and_repeat_for_repeated_headlines() -> None:
    headlines = [HEADLINES[1], HEADLINES[0], HEADLINES[1]]
    scores = score_headlines(headlines)
    assert scores.dtype == np.float64
    assert scores.tolist() == [headline_compound(h) for h in headlines]
    assert score_headlines([]).shape == (0,)


def test_one_analyzer_per_process() -> None:
    assert _analyzer() is _analyzer()


def test_the_lexicon_ships_inside_the_package() -> None:
    assert (Path(vaderSentiment.__file__).parent / "vader_lexicon.txt").stat().st_size > 100_000
