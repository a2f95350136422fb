"""profile_frame makes the profile stock why.log makes; profile_summary reads it out plainly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from monitoring.profile_compare import QUANTILES, profile_differences
from monitoring.profiling import profile_frame, profile_summary
from monitoring.whylogs_compat import ProfileView, why

# stock whylogs averages columns holding ±inf and NumPy says so
pytestmark = pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")


def mixed_frame(rows: int, seed: int = 7) -> pd.DataFrame:
    """Every dtype the platform writes, with the awkward values each one can hold."""
    rng = np.random.default_rng(seed)
    close = rng.lognormal(4, 0.3, rows)
    close[::17] = np.nan
    close[5], close[9], close[11] = np.inf, -np.inf, np.inf
    symbol = rng.choice(np.array(["AAPL", "MSFT", "IBM", "XOM"], dtype=object), rows)
    symbol[::13] = None
    symbol[::29] = np.nan
    stamps = pd.Series(pd.date_range("2020-01-01", periods=rows, freq="D", tz="UTC"))
    return pd.DataFrame(
        {
            "close": close,
            "ret_f32": rng.normal(0, 0.02, rows).astype("float32"),
            "all_nan": np.full(rows, np.nan),
            "no_gaps": rng.normal(0, 1, rows),
            "volume": rng.integers(0, 10_000, rows),
            "is_up": rng.random(rows) > 0.45,
            "symbol": symbol,
            "event_timestamp": stamps.where(stamps.index % 31 != 0),
            "naive_ts": stamps.dt.tz_localize(None),
            "source": pd.array(symbol, dtype="string"),
            "mixed": pd.Series(([1, "a", 2.5, None, True] * rows)[:rows], dtype=object),
        }
    )


@pytest.fixture(scope="module")
def large() -> pd.DataFrame:
    return mixed_frame(6_000)  # past the KLL sketch's k=1024: quantiles are estimates


@pytest.fixture(scope="module")
def large_views(large: pd.DataFrame) -> tuple[ProfileView, ProfileView]:
    return why.log(large).view(), profile_frame(large)


@pytest.mark.parametrize("column", list(mixed_frame(20).columns))
def test_each_column_matches_stock_whylogs(
    column: str, large_views: tuple[ProfileView, ProfileView]
) -> None:
    stock, fast = large_views
    differences = [d for d in profile_differences(stock, fast) if d.startswith(f"{column}: ")]
    assert differences == []


def test_counts_are_the_values_in_the_frame(large: pd.DataFrame, large_views) -> None:
    _, fast = large_views
    close = fast.get_column("close").to_summary_dict()
    assert close["counts/n"] == len(large)
    assert close["counts/null"] == close["counts/nan"] == large["close"].isna().sum()
    assert close["counts/inf"] == 3
    assert close["types/fractional"] == large["close"].notna().sum()
    assert (close["distribution/min"], close["distribution/max"]) == (-np.inf, np.inf)

    symbol = fast.get_column("symbol").to_summary_dict()
    assert symbol["counts/null"] == large["symbol"].isna().sum()
    assert symbol["counts/nan"] == large["symbol"].map(lambda v: v is np.nan).sum()
    assert symbol["types/string"] == large["symbol"].notna().sum()
    assert round(symbol["cardinality/est"]) == 4

    is_up = fast.get_column("is_up").to_summary_dict()
    assert (is_up["types/boolean"], is_up["counts/true"]) == (len(large), large["is_up"].sum())

    stamps = fast.get_column("event_timestamp").to_summary_dict()
    assert stamps["counts/null"] == large["event_timestamp"].isna().sum()
    assert stamps["types/object"] == large["event_timestamp"].notna().sum()


def test_a_small_frame_gives_identical_quantiles() -> None:
    frame = mixed_frame(500)  # fewer values than k: the KLL sketch is exact
    stock, fast = why.log(frame).view(), profile_frame(frame)
    assert profile_differences(stock, fast) == []
    for name in ("close", "ret_f32", "volume", "is_up"):
        exact = [
            m.get_metric("distribution").kll.value
            for m in (stock.get_column(name), fast.get_column(name))
        ]
        assert exact[0].get_quantiles(list(QUANTILES)) == exact[1].get_quantiles(list(QUANTILES))


def test_an_arrow_table_profiles_like_its_pandas_conversion() -> None:
    frame = mixed_frame(800).drop(columns=["mixed"])
    table = pa.Table.from_pandas(frame, preserve_index=False)
    assert profile_differences(why.log(table.to_pandas()).view(), profile_frame(table)) == []


def test_an_empty_frame_profiles_its_columns_with_no_values() -> None:
    frame = mixed_frame(20).iloc[:0]
    view = profile_frame(frame)
    assert profile_differences(why.log(frame).view(), view) == []
    assert profile_summary(view)["count"].tolist() == [0] * frame.shape[1]


def test_columns_picks_a_subset_in_the_given_order(large: pd.DataFrame) -> None:
    view = profile_frame(large, columns=["volume", "close"])
    assert list(view.get_columns()) == ["volume", "close"]
    with pytest.raises(KeyError, match="nope"):
        profile_frame(large, columns=["close", "nope"])


def test_column_groups_in_worker_processes_equal_one_process(large: pd.DataFrame) -> None:
    single = profile_frame(large)
    parallel = profile_frame(large, workers=2)
    assert list(parallel.get_columns()) == list(large.columns)
    assert profile_differences(single, parallel) == []


def test_row_ranges_merged_from_worker_processes_equal_one_process() -> None:
    frame = mixed_frame(30_000, seed=3)[["close", "symbol"]]
    single = profile_frame(frame)
    merged = profile_frame(frame, workers=3)  # fewer columns than workers: split by rows
    assert profile_differences(single, merged) == []
    for name in frame.columns:
        a, b = single.get_column(name).to_summary_dict(), merged.get_column(name).to_summary_dict()
        assert {k: v for k, v in a.items() if k.startswith("counts/")} == {
            k: v for k, v in b.items() if k.startswith("counts/")
        }


def test_the_comparison_notices_different_data(large: pd.DataFrame) -> None:
    changed = large.copy()
    changed.loc[10, "close"] = np.nan
    changed["ret_f32"] = changed["ret_f32"] + np.float32(0.05)
    differences = profile_differences(profile_frame(large), profile_frame(changed))
    assert any(d.startswith("close: counts/null") for d in differences)
    assert any(d.startswith("ret_f32: distribution q=") for d in differences)


def test_summary_is_a_plain_frame_with_the_usual_statistics() -> None:
    rng = np.random.default_rng(0)
    values = rng.normal(10, 2, 400)
    frame = pd.DataFrame({"x": np.append(values, [np.nan, np.nan]), "s": ["a"] * 402})
    summary = profile_summary(profile_frame(frame))

    assert list(summary.index) == ["x", "s"]
    x = summary.loc["x"]
    assert (x["count"], x["null"], x["nan"], x["inf"]) == (402, 2, 2, 0)
    assert x["min"] == values.min() and x["max"] == values.max()
    assert x["mean"] == pytest.approx(values.mean())
    assert x["stddev"] == pytest.approx(values.std(ddof=1))
    assert x["median"] == pytest.approx(np.median(values), abs=0.1)
    assert x["cardinality"] == pytest.approx(400, rel=0.01)
    assert summary.loc["s", "count"] == 402 and np.isnan(summary.loc["s", "mean"])
