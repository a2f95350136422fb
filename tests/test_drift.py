"""Drift per feature: a known shift in k features is flagged for those k and no others."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from monitoring.drift import DEFAULT_THRESHOLDS, DriftConfig, FeatureDriftConfig, detect_drift
from monitoring.profiling import profile_frame

ROWS = 20_000
FEATURES = 12
SHIFTED = ("f02", "f05", "f09")


def _frames(seed: int = 11) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reference and current samples of the same features; SHIFTED move by two std, scale 1.5."""
    rng = np.random.default_rng(seed)
    scales = rng.lognormal(0, 1.5, FEATURES)
    centres = rng.normal(0, 20, FEATURES)
    names = [f"f{j:02d}" for j in range(FEATURES)]

    def sample() -> pd.DataFrame:
        data = rng.standard_normal((ROWS, FEATURES)) * scales + centres
        return pd.DataFrame(data, columns=names)

    reference, current = sample(), sample()
    for name in SHIFTED:
        j = names.index(name)
        current[name] = centres[j] + (current[name] - centres[j]) * 1.5 + 2 * scales[j]
    return reference, current


@pytest.fixture(scope="module")
def profiles():
    reference, current = _frames()
    return profile_frame(current), profile_frame(reference)


@pytest.mark.parametrize("statistic", ["ks", "hellinger", "psi", "jensen_shannon"])
def test_each_numeric_statistic_flags_exactly_the_shifted_features(profiles, statistic) -> None:
    current, reference = profiles
    report = detect_drift(
        current, reference, feature_view="v", config=DriftConfig(numeric_method=statistic)
    )
    assert len(report.features) == FEATURES
    assert sorted(report.drifted_features) == sorted(SHIFTED)
    assert report.dataset_drift_share == pytest.approx(len(SHIFTED) / FEATURES)
    assert not report.dataset_drift


def _categorical(rng: np.random.Generator, probabilities: list[float], n: int) -> np.ndarray:
    counts = np.round(np.asarray(probabilities) * n).astype(int)
    values = np.repeat(np.array(["buy", "hold", "sell", "short"][: len(counts)]), counts)
    return rng.permutation(values)


def test_chi_square_flags_exactly_the_categorical_features_whose_mix_changed() -> None:
    rng = np.random.default_rng(5)
    base = [0.4, 0.3, 0.2, 0.1]
    reference = pd.DataFrame({f"c{j}": _categorical(rng, base, 5000) for j in range(6)})
    current = pd.DataFrame({f"c{j}": _categorical(rng, base, 3000) for j in range(6)})
    for name in ("c1", "c4"):
        current[name] = _categorical(rng, [0.25, 0.25, 0.25, 0.25], 3000)
    report = detect_drift(profile_frame(current), profile_frame(reference), feature_view="v")
    assert {f.kind for f in report.features} == {"categorical"}
    assert sorted(report.drifted_features) == ["c1", "c4"]
    assert all(f.method == "chi_square" for f in report.features)


def test_every_statistic_is_kept_and_defaults_are_documented(profiles) -> None:
    current, reference = profiles
    report = detect_drift(current, reference, feature_view="v")
    feature = next(f for f in report.features if f.feature == "f02")
    assert set(feature.scores) >= {"ks", "hellinger", "psi", "jensen_shannon"}
    assert feature.method == "psi" and feature.threshold == DEFAULT_THRESHOLDS["psi"].drift


def test_per_feature_override_changes_only_that_feature(profiles) -> None:
    current, reference = profiles
    config = DriftConfig(
        features={
            "v:f02": FeatureDriftConfig(enabled=False),
            "f05": FeatureDriftConfig(
                method="hellinger", thresholds={"hellinger": {"drift": 0.99}}
            ),
        }
    )
    report = detect_drift(current, reference, feature_view="v", config=config)
    assert "f02" not in {f.feature for f in report.features}
    assert sorted(report.drifted_features) == ["f09"]


def test_dataset_drift_when_share_reaches_threshold(profiles) -> None:
    current, reference = profiles
    report = detect_drift(
        current, reference, feature_view="v", config=DriftConfig(dataset_drift_share=0.2)
    )
    assert report.dataset_drift


def test_identical_data_has_no_drift() -> None:
    reference, _ = _frames(seed=3)
    view = profile_frame(reference)
    report = detect_drift(view, view, feature_view="v")
    assert report.drifted_features == []
    assert all(f.scores["ks"] == pytest.approx(1.0) for f in report.features)
