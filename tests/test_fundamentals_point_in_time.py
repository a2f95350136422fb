"""Point in time: a value at bar time t never depends on a filing made after t, nor on a bar
after t; a restatement changes values only from its own filing time on."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from axiom_features.contracts.fundamentals import FUNDAMENTALS_SCHEMA, NUMERIC_FUNDAMENTAL_COLUMNS
from transforms.family import SymbolInputs
from transforms.fundamentals import FUNDAMENTALS

VIEWS = FUNDAMENTALS.views()
META = [f.name for v in VIEWS if v.name == "fundamentals_meta" for f in v.features]
START = pd.Timestamp("2019-12-31", tz="UTC")
SEEDS = st.integers(min_value=0, max_value=2**32 - 1)
CASES = settings(max_examples=40, deadline=None, derandomize=True)


def random_filings(rng: np.random.Generator) -> pd.DataFrame:
    """Up to 16 quarters (some never filed, some filed very late), restatements, ties,
    negative, zero and missing values."""
    n = int(rng.integers(0, 17))
    ends = pd.date_range(START, periods=n, freq="QE") if n else pd.DatetimeIndex([], tz="UTC")
    rows = []
    for end in ends:
        if rng.random() < 0.1:
            continue  # a quarter that was never filed
        late = rng.random() < 0.1
        lag = pd.Timedelta(days=int(rng.integers(100, 300) if late else rng.integers(1, 60)))
        hour = pd.Timedelta(hours=int(rng.choice([0, 12, 21])))
        rows.append(_filing(rng, end, end + lag + hour))
    for _ in range(int(rng.integers(0, 4))):
        if not rows:
            break
        original = rows[int(rng.integers(0, len(rows)))]
        if rng.random() < 0.3:  # filed at the very instant of another filing
            when = rows[int(rng.integers(0, len(rows)))]["filing_timestamp"]
        else:
            when = original["filing_timestamp"] + pd.Timedelta(days=int(rng.integers(1, 400)))
        if when > original["filing_timestamp"]:
            rows.append(_filing(rng, original["period_end"], when))
    frame = pd.DataFrame(rows, columns=FUNDAMENTALS_SCHEMA.names)
    for column in ("period_end", "filing_timestamp", "created_timestamp"):
        frame[column] = pd.to_datetime(frame[column], utc=True).astype("datetime64[us, UTC]")
    numbers = list(NUMERIC_FUNDAMENTAL_COLUMNS)
    frame[numbers] = frame[numbers].astype(float)
    frame = frame.drop_duplicates(["fiscal_period", "filing_timestamp"])
    return frame.sort_values("filing_timestamp", kind="stable").reset_index(drop=True)


def _filing(rng: np.random.Generator, end: pd.Timestamp, filed: pd.Timestamp) -> dict:
    values = rng.normal(100.0, 60.0, len(NUMERIC_FUNDAMENTAL_COLUMNS))
    values[rng.random(len(values)) < 0.05] = np.nan
    values[rng.random(len(values)) < 0.03] = 0.0
    row = dict(zip(NUMERIC_FUNDAMENTAL_COLUMNS, values, strict=True))
    row.update(
        symbol="RND",
        fiscal_period=f"{end.year}Q{end.quarter}",
        period_end=end,
        filing_timestamp=filed,
        created_timestamp=filed,
        source="random",
    )
    return row


def random_bars(rng: np.random.Generator, filings: pd.DataFrame) -> pd.DataFrame:
    """Daily closes at 21:00 UTC, some days missing, plus bars exactly at filing instants."""
    days = pd.date_range(START, periods=1600, freq="D") + pd.Timedelta(hours=21)
    days = days[rng.random(len(days)) < 0.3]
    at_filings = pd.DatetimeIndex(filings["filing_timestamp"]).tz_convert("UTC")
    times = days.union(at_filings[rng.random(len(at_filings)) < 0.5]).sort_values()
    close = np.exp(rng.normal(0, 0.02, len(times)).cumsum()) * 40
    close[rng.random(len(close)) < 0.02] = np.nan
    return pd.DataFrame({"event_timestamp": times, "close": close, "volume": 1.0})


def compute(bars: pd.DataFrame, filings: pd.DataFrame) -> pd.DataFrame:
    return FUNDAMENTALS.compute(VIEWS, SymbolInputs("RND", bars.reset_index(drop=True), filings))


def cuts(rng: np.random.Generator, bars: pd.DataFrame, filings: pd.DataFrame) -> list:
    """Bar times to cut at: the last bar before a filing and the bar at a filing instant
    (where a look-ahead would show first), and two at random."""
    times = bars["event_timestamp"]
    chosen = list(times.iloc[rng.integers(0, len(times), 2)])
    for filed in filings["filing_timestamp"].sample(min(len(filings), 5), random_state=1):
        before = times[times < filed]
        chosen += [before.iloc[-1]] if len(before) else []
        chosen += [filed] if (times == filed).any() else []
    return chosen


def assert_same(actual: pd.DataFrame, expected: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(
        actual.reset_index(drop=True), expected.reset_index(drop=True), check_exact=True
    )


@CASES
@given(SEEDS)
def test_no_value_at_t_uses_a_filing_made_after_t(seed):
    rng = np.random.default_rng(seed)
    filings = random_filings(rng)
    bars = random_bars(rng, filings)
    full = compute(bars, filings)
    for t in cuts(rng, bars, filings):
        upto = (bars["event_timestamp"] <= t).to_numpy()
        public = filings[filings["filing_timestamp"] <= t]
        assert_same(compute(bars, public)[upto], full[upto])


@CASES
@given(SEEDS)
def test_future_filings_with_other_numbers_change_nothing_before_them(seed):
    rng = np.random.default_rng(seed)
    filings = random_filings(rng)
    bars = random_bars(rng, filings)
    full = compute(bars, filings)
    for t in cuts(rng, bars, filings):
        altered = filings.copy()
        later = (altered["filing_timestamp"] > t).to_numpy()
        altered.loc[later, list(NUMERIC_FUNDAMENTAL_COLUMNS)] *= -3.0
        upto = (bars["event_timestamp"] <= t).to_numpy()
        assert_same(compute(bars, altered)[upto], full[upto])


@CASES
@given(SEEDS)
def test_values_at_t_do_not_change_when_bars_after_t_are_removed(seed):
    rng = np.random.default_rng(seed)
    filings = random_filings(rng)
    bars = random_bars(rng, filings)
    full = compute(bars, filings)
    for t in cuts(rng, bars, filings):
        upto = (bars["event_timestamp"] <= t).to_numpy()
        assert_same(compute(bars[upto], filings), full[upto])


@CASES
@given(SEEDS)
def test_a_restatement_changes_values_only_from_its_filing_time_on(seed):
    rng = np.random.default_rng(seed)
    filings = random_filings(rng)
    if filings.empty:
        return
    bars = random_bars(rng, filings)
    period = filings["fiscal_period"].iloc[int(rng.integers(0, len(filings)))]
    own = filings[filings["fiscal_period"] == period]
    when = own["filing_timestamp"].max() + pd.Timedelta(days=int(rng.integers(1, 300)))
    restatement = own.iloc[[-1]].copy()
    restatement["filing_timestamp"] = when
    numbers = list(NUMERIC_FUNDAMENTAL_COLUMNS)
    restatement[numbers] = rng.normal(100.0, 60.0, len(numbers))

    with_restatement = pd.concat([filings, restatement], ignore_index=True)
    with_restatement = with_restatement.sort_values("filing_timestamp", kind="stable")
    before = compute(bars, filings)
    after = compute(bars, with_restatement)
    early = (bars["event_timestamp"] < when).to_numpy()
    assert_same(after[early], before[early])

    # From its filing time on, the quarter reads as if it had always had the new numbers.
    rewritten = filings.copy()
    rewritten.loc[rewritten["fiscal_period"] == period, numbers] = restatement[numbers].to_numpy()
    as_if = compute(bars, rewritten)
    assert_same(after[~early].drop(columns=META), as_if[~early].drop(columns=META))
