"""Headline templates of the synthetic news, by tone; ``{s}`` is the symbol.

Each template's VADER compound score has the sign of its tone (positive >= 0.05, negative
<= -0.05, neutral exactly 0) for any symbol that is not itself an English word.
"""

from __future__ import annotations

POSITIVE: tuple[str, ...] = (
    "{s} beats estimates, raises guidance on strong demand",
    "{s} posts strong quarterly profit",
    "{s} wins major contract",
    "{s} stock rallies on upbeat, optimistic outlook",
    "{s} reports record revenue, shares gain",
    "{s} upgraded to buy as growth improves",
    "{s} raises dividend after excellent year",
    "{s} shares jump on successful drug trial",
    "{s} praised for strong execution by analysts",
    "{s} announces share buyback, confident in outlook",
)

NEGATIVE: tuple[str, ...] = (
    "{s} slumps after painful downgrade",
    "{s} misses estimates, cuts outlook",
    "{s} faces lawsuit over patent",
    "{s} warns of weak demand",
    "{s} shares fall on disappointing sales",
    "{s} hit by fraud probe",
    "{s} reports loss as costs surge",
    "{s} downgraded to sell on weak margins",
    "{s} recalls products after safety failure",
    "{s} CEO resigns amid scandal",
)

NEUTRAL: tuple[str, ...] = (
    "{s} to present at conference",
    "{s} reports quarterly results",
    "{s} schedules earnings call",
    "{s} files annual report",
    "{s} announces board meeting date",
    "{s} to hold investor day in March",
    "{s} names new chief financial officer",
    "{s} completes previously announced offering",
    "{s} stock unchanged in early trading",
    "{s} updates corporate address",
)

BY_TONE: dict[str, tuple[str, ...]] = {
    "positive": POSITIVE,
    "negative": NEGATIVE,
    "neutral": NEUTRAL,
}
