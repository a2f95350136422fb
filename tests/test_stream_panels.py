"""The stream's fast paths give the answers of the paths they replace.

- window functions on a ``(symbols, bars)`` panel: each series gets its 1-D values, bit for
  bit, and ``newest`` leaves the newest rows' values unchanged;
- the incremental state, updated in small micro-batches with revisions late (once in a
  while), holds the batch's values of every microstructure, risk and regime feature;
- the row rules on arrays fail the same rows, with the same rules, as the batch gate.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from axiom_features.contracts import BAR_SCHEMA
from axiom_features.incremental.state import bar_views, revise, update, warm
from axiom_features.incremental.window_families import window_views
from axiom_features.quality.gate import validate_bars
from axiom_features.quality.rules import ROW_RULES
from axiom_features.streaming.row_checks import failed_rules
from axiom_features.synthetic.bars import generate_bars, symbol_names
from transforms import rolling
from transforms.families import family_named
from transforms.family import SymbolInputs


def _panel() -> np.ndarray:
    rng = np.random.default_rng(0)
    prices = np.cumsum(rng.normal(0, 1, (6, 330)), axis=1) + 100.0
    prices[1, :40] = np.nan  # a short history
    prices[2, 100] = np.nan  # a hole
    prices[3, 7] = np.inf
    prices[4, :] = np.nan  # nothing at all
    return prices


PANEL_FUNCTIONS = {
    "lag": lambda x: rolling.lag(x, 3),
    "sum": lambda x: rolling.rolling_sum(x, 21),
    "mean": lambda x: rolling.rolling_mean(x, 200),
    "cov": lambda x: rolling.rolling_cov(x, rolling.lag(x), 21),
    "std": lambda x: rolling.rolling_std(rolling.simple_returns(x), 21),
    "corr": lambda x: rolling.rolling_corr(x, np.sqrt(np.abs(x)), 63),
    "skew": lambda x: rolling.rolling_skew(rolling.simple_returns(x), 63),
    "kurt": lambda x: rolling.rolling_kurt(rolling.simple_returns(x), 63),
    "rank": lambda x: rolling.rolling_pct_rank(x, 252),
    "drawdown": lambda x: rolling.rolling_max_drawdown(x, 253),
    "sorted": lambda x: rolling.rolling_sorted(x, 252),
    "cvar": lambda x: rolling.rolling_lower_tail(rolling.simple_returns(x), 252, 0.95)[1],
}


@pytest.mark.parametrize("name", sorted(PANEL_FUNCTIONS))
def test_a_panel_gives_each_series_its_own_values_bit_for_bit(name: str) -> None:
    function = PANEL_FUNCTIONS[name]
    panel = _panel()
    together = function(panel)
    for row in range(panel.shape[0]):
        assert np.array_equal(together[row], function(panel[row]), equal_nan=True), row


@pytest.mark.parametrize("newest", [1, 3])
def test_newest_rows_alone_have_the_values_of_the_full_computation(newest: int) -> None:
    panel = _panel()
    returns = rolling.simple_returns(panel)
    full = rolling.rolling_central_moments(returns, 63)
    part = rolling.rolling_central_moments(returns, 63, newest)
    for a, b in zip(full, part, strict=True):
        assert np.array_equal(a[:, -newest:], b[:, -newest:], equal_nan=True)
    for function in (rolling.rolling_pct_rank, rolling.rolling_max_drawdown):
        a, b = function(panel, 252), function(panel, 252, newest)
        assert np.array_equal(a[:, -newest:], b[:, -newest:], equal_nan=True)
    sorted_all, sorted_newest = (
        rolling.rolling_sorted(returns, 252),
        rolling.rolling_sorted(returns, 252, newest),
    )
    assert np.array_equal(sorted_all[:, -newest:], sorted_newest, equal_nan=True)


def test_small_micro_batches_with_late_revisions_hold_the_batch_values() -> None:
    bars = generate_bars(symbol_names(5), 320, seed=3)
    times = np.sort(bars["event_timestamp"].unique())
    history = bars[bars["event_timestamp"] <= times[299]]
    live = bars[bars["event_timestamp"] > times[299]].sort_values(["event_timestamp", "symbol"])
    state = warm(history)
    streamed: dict[tuple[str, pd.Timestamp], dict[str, float]] = {}

    def keep(rows: pd.DataFrame) -> None:
        for record in rows.to_dict("records"):
            key = (record.pop("symbol"), pd.Timestamp(record.pop("event_timestamp")))
            streamed.setdefault(key, {}).update(record)

    for i, start in enumerate(range(0, len(live), 3)):  # sessions split across micro-batches
        keep(update(state, live.iloc[start : start + 3]))
        if i % 4 == 3:
            keep(revise(state))
    keep(revise(state))

    closes = bars.pivot_table(index="event_timestamp", columns="symbol", values="close")
    closes.columns = [str(c) for c in closes.columns]
    compared = 0
    for symbol, rows in bars.groupby("symbol"):
        rows = rows.sort_values("event_timestamp").reset_index(drop=True)
        for name, views in window_views(bar_views()).items():
            family = family_named(name)
            market = closes if "market" in family.needs else None
            batch = family.compute(views, SymbolInputs(str(symbol), rows, market=market))
            for i in range(300, len(rows)):
                got = streamed[(str(symbol), pd.Timestamp(rows["event_timestamp"][i]))]
                for feature in batch.columns:
                    a, e = got[feature], batch[feature].iloc[i]
                    assert np.isnan(a) == np.isnan(e), (symbol, i, feature)
                    if not np.isnan(e):
                        assert abs(a - e) <= 1e-12 * abs(e), (symbol, i, feature, a, e)
                    compared += 1
    assert compared > 5 * 20 * 30


def _faulty_batch() -> pd.DataFrame:
    n = 40
    t0 = pd.Timestamp("2026-01-05 21:00", tz="UTC")
    stamps = pd.Series([t0 + pd.Timedelta(days=i // 5) for i in range(n)])
    frame = pd.DataFrame(
        {
            "symbol": [f"S{i % 5}" for i in range(n)],
            "event_timestamp": stamps.astype("datetime64[us, UTC]"),
            "open": 10.0,
            "high": 11.0,
            "low": 9.0,
            "close": 10.5,
            "volume": 1000.0,
            "source": "feed",
            "created_timestamp": pd.Series([t0] * n).astype("datetime64[us, UTC]"),
        }
    )
    frame.loc[1, "high"] = 8.0
    frame.loc[2, "low"] = 12.0
    frame.loc[3, "volume"] = -1.0
    frame.loc[4, "open"] = np.nan
    frame.loc[5, "close"] = 0.0
    frame.loc[6, "high"] = np.nan
    frame.loc[7, "low"] = -3.0
    frame.loc[8, "volume"] = np.nan
    frame.loc[9, ["open", "high"]] = [20.0, 19.0]
    copies = [frame.iloc[[10]], frame.iloc[[11]].assign(close=10.6)]
    return pd.concat([frame, *copies], ignore_index=True)[BAR_SCHEMA.names]


def test_row_rules_on_arrays_fail_what_the_gate_fails() -> None:
    batch = _faulty_batch()
    gate = validate_bars(batch, rules=ROW_RULES)
    expected = np.full(len(batch), "", dtype=object)
    expected[gate.rejected.index] = gate.rejected["failed_rules"].to_numpy()
    got = failed_rules(batch)
    assert (got != "").sum() >= 12
    assert list(got) == list(expected)
    clean = batch.drop_duplicates(["symbol", "event_timestamp"]).iloc[10:]
    assert (failed_rules(clean) == "").all()
