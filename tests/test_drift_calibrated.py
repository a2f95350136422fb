"""The calibrated drift method on small panels whose answers are known.

Each panel holds ``SYMBOLS`` symbols over ``DAYS`` daily rows; the reference is the 240
days before the last 20, cut into 12 chunks. Normal variation (a volatility regime that
comes and goes, a level that trends) stays quiet; a fault is flagged by the check that
fits it and named by the input the flagged features share.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from monitoring.calibrated import ViewWindows, chunk_days, control_false_discoveries
from monitoring.calibrated_check import run_pass
from monitoring.daily_profiles import profile_days
from monitoring.root_cause import group_findings

SYMBOLS, DAYS, WINDOW = 40, 260, 20


def panel(seed: int = 0) -> pd.DataFrame:
    """ret (return-like, volatility regimes), px (a trending level), vol (a volume level),
    osc (bounded), per symbol and day."""
    rng = np.random.default_rng(seed)
    days = pd.date_range("2025-01-01 21:00", periods=DAYS, freq="D", tz="UTC")
    regime = np.where((np.arange(DAYS) // 30) % 3 == 0, 2.0, 1.0)
    ret = rng.standard_normal((SYMBOLS, DAYS)) * 0.01 * regime
    px = np.exp(rng.uniform(2, 6, SYMBOLS))[:, None] * np.exp(np.cumsum(ret, axis=1))
    vol = np.exp(rng.uniform(12, 16, SYMBOLS))[:, None] * np.exp(
        0.3 * rng.standard_normal((SYMBOLS, DAYS))
    )
    osc = 1 / (1 + np.exp(-ret / 0.01))
    return pd.DataFrame(
        {
            "symbol": np.repeat([f"S{i}" for i in range(SYMBOLS)], DAYS),
            "event_timestamp": np.tile(days, SYMBOLS),
            "ret": ret.ravel(),
            "px": px.ravel(),
            "vol": vol.ravel(),
            "osc": osc.ravel(),
        }
    )


NATURES = {"v": {"ret": "return_like", "px": "level", "vol": "level", "osc": "bounded_oscillator"}}
INPUTS = {"v:ret": ("close",), "v:px": ("close",), "v:vol": ("volume",), "v:osc": ("close",)}


def windows(frame: pd.DataFrame, view: str = "v") -> ViewWindows:
    sketches = profile_days(frame)
    days = sorted(sketches)
    current, reference = days[-WINDOW:], days[:-WINDOW][-240:]
    return ViewWindows(
        view,
        [sketches[d][0] for d in current],
        [[sketches[d][0] for d in chunk] for chunk in chunk_days(reference, WINDOW)],
    )


def last_window(frame: pd.DataFrame) -> pd.Series:
    return frame["event_timestamp"] >= frame["event_timestamp"].drop_duplicates().iloc[-WINDOW]


def test_normal_variation_raises_nothing() -> None:
    result = run_pass([windows(panel())], NATURES, INPUTS)
    assert result.findings == [] and result.incidents == []


def test_a_volume_unit_change_is_one_critical_incident_naming_volume() -> None:
    frame = panel()
    frame.loc[last_window(frame), "vol"] *= 100
    result = run_pass([windows(frame)], NATURES, INPUTS)
    assert [i.cause for i in result.incidents] == ["volume"]
    incident = result.incidents[0]
    assert incident.severity == "critical"
    assert incident.summary.startswith("input `volume` changed (×100 in level) since 2025-")
    assert "range" in {f["check"] for f in incident.findings}


def test_a_level_that_trends_is_not_judged_by_its_distribution() -> None:
    frame = panel()
    frame.loc[last_window(frame), "px"] *= 1.15  # a strong month, not a fault
    assert run_pass([windows(frame)], NATURES, INPUTS).incidents == []


def test_a_missing_burst_is_data_quality_drift() -> None:
    frame = panel()
    rows = last_window(frame) & (np.random.default_rng(1).random(len(frame)) < 0.2)
    frame.loc[rows, "ret"] = np.nan
    result = run_pass([windows(frame)], NATURES, INPUTS)
    checks = {(f.feature, f.check) for f in result.findings}
    assert ("ret", "missing") in checks
    assert all(f.quality for f in result.findings if f.feature == "ret")


def test_a_stale_feed_shows_as_constant_runs() -> None:
    frame = panel()
    stale = last_window(frame) & frame["symbol"].isin([f"S{i}" for i in range(6)])
    for symbol in [f"S{i}" for i in range(6)]:
        rows = stale & (frame["symbol"] == symbol)
        frame.loc[rows, "px"] = frame.loc[rows, "px"].iloc[0]
    result = run_pass([windows(frame)], NATURES, INPUTS)
    assert ("px", "constant_runs") in {(f.feature, f.check) for f in result.findings}
    assert [i.cause for i in result.incidents] == ["close"]


def test_a_shifted_oscillator_is_distribution_drift_and_only_a_warning() -> None:
    frame = panel()
    frame.loc[last_window(frame), "osc"] = frame.loc[last_window(frame), "osc"] ** 0.3
    result = run_pass([windows(frame)], NATURES, INPUTS)
    assert [(f.feature, f.check) for f in result.findings] == [("osc", "distribution")]
    assert [i.severity for i in result.incidents] == ["warning"]


def test_benjamini_hochberg_keeps_only_what_survives_the_whole_pass() -> None:
    from monitoring.calibrated import Finding, ViewCheck

    strong = Finding("v", "a", "distribution", "return_like", 0.5, 0.1, 0.15, p_value=1e-9)
    weak = [Finding("v", f"n{i}", "distribution", "return_like", 0.2, 0.1, 0.15, p_value=0.01)
            for i in range(50)]  # fmt: skip
    quality = Finding("v", "q", "missing", "level", 0.3, 0.0, 0.02)
    kept = control_false_discoveries([ViewCheck("v", [strong, *weak, quality])], 0.001)
    assert kept == [strong, quality]


def test_findings_of_one_view_that_no_single_input_explains_name_the_view() -> None:
    from monitoring.calibrated import Finding

    inputs = {"a:x": ("close",), "a:y": ("volume",), "b:z": ("close",), "b:w": ("volume",)}
    found = [Finding("a", n, "missing", "level", 0.3, 0.0, 0.02) for n in ("x", "y")]
    (incident,) = group_findings(found, inputs)
    assert (incident.cause, incident.cause_kind) == ("a", "view")


def test_one_flagged_feature_names_its_input_not_its_view() -> None:
    from monitoring.calibrated import Finding

    inputs = {"a:x": ("volume",), "a:y": ("close",), "b:z": ("volume",)}
    found = [Finding("a", "x", "range", "level", 4.0, 0.5, 1.5)]
    (incident,) = group_findings(found, inputs)
    assert (incident.cause, incident.cause_kind) == ("volume", "input")


def test_day_profiles_count_repeats_and_jumps_per_symbol() -> None:
    frame = pd.DataFrame(
        {
            "symbol": ["A", "B", "A", "B", "A", "B"],
            "event_timestamp": pd.to_datetime(
                [
                    "2025-01-01",
                    "2025-01-01",
                    "2025-01-02",
                    "2025-01-02",
                    "2025-01-03",
                    "2025-01-03",
                ],
                utc=True,
            ),  # fmt: skip
            "x": [10.0, 10.0, 10.0, 5.0, 20.0, 5.0],
        }
    )
    days = profile_days(frame)
    steps = {d: (s.columns["x"].repeats, s.columns["x"].jumps) for d, (s, _) in days.items()}
    assert steps == {"2025-01-01": (0, 0), "2025-01-02": (1, 1), "2025-01-03": (1, 1)}


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_noise_alone_raises_nothing_whatever_the_seed(seed: int) -> None:
    assert run_pass([windows(panel(seed))], NATURES, INPUTS).incidents == []


def test_a_feed_whose_columns_move_together_is_named_by_its_source() -> None:
    from monitoring.calibrated import Finding

    inputs = {"n:a": ("headline", "published_at"), "n:b": ("headline", "published_at"),
              "p:c": ("close",)}  # fmt: skip
    found = [Finding("n", x, "missing", "count", 0.6, 0.05, 0.1) for x in ("a", "b")]
    (incident,) = group_findings(found, inputs)
    assert (incident.cause, incident.cause_kind) == ("news", "source")
