"""Quarterly fundamentals are step series: they change only when a filing arrives.

A window of twenty sessions then holds about one value per company, not one per row, so
with twenty companies its tails are single filings. Each panel holds ``COMPANIES`` companies
over ``SESSIONS`` daily rows; every company files once a quarter (every 63 sessions) inside a
twenty-session earnings season, and the last twenty sessions are such a season, checked
against the 240 sessions before them cut into 12 chunks.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from monitoring.calibrated import ViewWindows, chunk_days
from monitoring.calibrated_check import CalibratedPass, run_pass
from monitoring.daily_profiles import profile_days

COMPANIES, SESSIONS, WINDOW, QUARTER = 20, 323, 20, 63
NATURES = {"f": {"net_margin_q": "fundamental", "runway": "fundamental", "pfcf": "fundamental"}}
INPUTS = {"f:net_margin_q": ("net_income", "revenue"), "f:runway": ("cash", "fcf"),
          "f:pfcf": ("close", "fcf")}  # fmt: skip


def filings_panel(losses_in_last_season: int = 0) -> pd.DataFrame:
    """Quarterly net margins held between filings, about one quarter in 25 a loss (an
    operating shock); in the last season the first ``losses_in_last_season`` companies to
    file report loss quarters."""
    rng = np.random.default_rng(5)
    days = pd.date_range("2025-01-01 21:00", periods=SESSIONS, freq="D", tz="UTC")
    level = rng.normal(0.12, 0.03, COMPANIES)
    filed_on = rng.permutation(COMPANIES) % WINDOW  # each company's day in the season
    margins = np.empty((COMPANIES, SESSIONS))
    last_season = SESSIONS - WINDOW
    for company in range(COMPANIES):
        filings = range(last_season + int(filed_on[company]) % QUARTER, -1, -QUARTER)
        value = level[company] + rng.normal(0, 0.01)
        for day in range(SESSIONS):
            if day in filings:
                value = level[company] + rng.normal(0, 0.01)
                if rng.random() < 0.04 and day < last_season:
                    value = rng.uniform(-0.3, -0.05)
                if day >= last_season and filed_on[company] < losses_in_last_season:
                    value = -0.15
            margins[company, day] = value
    return pd.DataFrame(
        {
            "symbol": np.repeat([f"C{i}" for i in range(COMPANIES)], SESSIONS),
            "event_timestamp": np.tile(days, COMPANIES),
            "net_margin_q": margins.ravel(),
            "runway": np.nan,
            "pfcf": 20 + 50 * margins.ravel(),
        }
    )


def check(frame: pd.DataFrame) -> CalibratedPass:
    sketches = profile_days(frame)
    days = sorted(sketches)
    current, reference = days[-WINDOW:], days[:-WINDOW][-240:]
    windows = ViewWindows(
        "f",
        [sketches[d][0] for d in current],
        [[sketches[d][0] for d in chunk] for chunk in chunk_days(reference, WINDOW)],
    )
    return run_pass([windows], NATURES, INPUTS)


def last_window(frame: pd.DataFrame) -> pd.Series:
    return frame["event_timestamp"] >= frame["event_timestamp"].drop_duplicates().iloc[-WINDOW]


def test_three_loss_quarters_in_an_earnings_season_raise_no_critical() -> None:
    result = check(filings_panel(losses_in_last_season=3))
    assert [f for f in result.findings if f.check == "range"] == []
    assert [i for i in result.incidents if i.severity == "critical"] == []


def test_a_unit_change_of_a_fundamental_is_still_a_critical_range_finding() -> None:
    frame = filings_panel()
    frame.loc[last_window(frame), "net_margin_q"] *= 100  # reported in percent
    result = check(frame)
    (finding,) = [f for f in result.findings if f.check == "range"]
    assert finding.feature == "net_margin_q" and round(finding.ratio) == 100
    assert [(i.severity, i.features) for i in result.incidents] == [
        ("critical", ["f:net_margin_q"])
    ]


def test_a_fundamental_one_company_reports_is_not_judged_by_its_spread() -> None:
    frame = filings_panel()
    frame.loc[(frame["symbol"] == "C0") & ~last_window(frame), "runway"] = 115.7
    frame.loc[(frame["symbol"] == "C1") & last_window(frame), "runway"] = 12.1
    result = check(frame)
    assert [f.feature for f in result.findings] == []


def test_one_company_whose_cash_flow_ratio_goes_missing_raises_nothing() -> None:
    frame = filings_panel()
    burning_cash = frame["symbol"] == "C0"  # no price to free cash flow while it is negative
    frame.loc[burning_cash & last_window(frame), "pfcf"] = np.nan
    assert check(frame).findings == []


def test_a_ratio_half_the_companies_stop_reporting_is_a_critical_missing_finding() -> None:
    frame = filings_panel()
    half = frame["symbol"].isin([f"C{i}" for i in range(COMPANIES // 2)])
    frame.loc[half & last_window(frame), "pfcf"] = np.nan
    result = check(frame)
    assert [(f.feature, f.check) for f in result.findings] == [("pfcf", "missing")]
    assert [i.severity for i in result.incidents] == ["critical"]
