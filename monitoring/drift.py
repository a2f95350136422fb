"""Drift of each feature between a current profile and a reference profile.

Numeric features (a non-empty KLL sketch) get four statistics, categorical ones (frequent
items, no numbers) get chi-square:

============== ========================================= ============== ================
statistic      computed as                               drift when     possible drift
============== ========================================= ============== ================
ks             whylogs' KS on the KLL sketches (CDFs at  p < 0.05       p < 0.15
               both sketches' 100 quantiles), the
               sketches' rank error subtracted from D,
               p-value from ``scipy.stats.kstwo``
hellinger      whylogs' ``Hellinger`` (KLL PMFs on up    >= 0.4         >= 0.15
               to 30 equal-width bins)
psi            population stability index on the         >= 0.25        >= 0.1
               reference's 10 quantile bins (KLL PMFs,
               empty bins floored at 1e-4)
jensen_shannon ``scipy.spatial.distance.jensenshannon``  >= 0.1         -
               (natural log) on the same bins
chi_square     whylogs' ``ChiSquare`` on frequent items  p < 0.05       p < 0.15
============== ========================================= ============== ================

Defaults: KS, Hellinger and chi-square as whylogs (``whylogs.viz.drift.configs``); PSI the
usual 0.1 / 0.25 rule; Jensen–Shannon as Evidently. Every statistic is computed and kept;
one *method* per feature decides its status (default ``psi`` for numeric features, as is
the habit for market and credit data, and ``chi_square`` for categorical ones), because
significance tests such as KS flag any tiny shift once samples have millions of rows.
The dataset drifts when the share of drifted features reaches ``dataset_drift_share``
(default 0.5, as Evidently). Everything is overridable, per feature, in :class:`DriftConfig`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from scipy import stats
from scipy.spatial import distance

from monitoring.whylogs_compat import ColumnProfileView, ProfileView, drift_algorithms

Statistic = Literal["ks", "hellinger", "psi", "jensen_shannon", "chi_square"]
Status = Literal["drift", "possible_drift", "no_drift", "skipped"]
NUMERIC_STATISTICS: tuple[Statistic, ...] = ("ks", "hellinger", "psi", "jensen_shannon")
P_VALUES = frozenset({"ks", "chi_square"})
"""Statistics that are p-values: smaller means more drift."""

PSI_BINS = 10
PSI_FLOOR = 1e-4
KS_QUANTILES = np.linspace(0, 1, 100)


class Threshold(BaseModel):
    """Where a statistic starts to mean drift (and, optionally, possible drift)."""

    model_config = ConfigDict(extra="forbid")

    drift: float
    """p-values: drift below this; distances: drift at or above this."""

    possible: float | None = None
    """p-values: possible drift below this; distances: at or above this. None: no such band."""


DEFAULT_THRESHOLDS: dict[Statistic, Threshold] = {
    "ks": Threshold(drift=0.05, possible=0.15),
    "chi_square": Threshold(drift=0.05, possible=0.15),
    "hellinger": Threshold(drift=0.4, possible=0.15),
    "psi": Threshold(drift=0.25, possible=0.1),
    "jensen_shannon": Threshold(drift=0.1),
}


class FeatureDriftConfig(BaseModel):
    """Overrides for one feature (key ``view:feature`` or just ``feature``)."""

    model_config = ConfigDict(extra="forbid")

    method: Statistic | None = None
    """The statistic that decides this feature's status (default: by its kind)."""

    thresholds: dict[Statistic, Threshold] = Field(default_factory=dict)
    """Thresholds replacing the defaults for this feature."""

    enabled: bool = True
    """False: the feature is not checked."""


class DriftConfig(BaseModel):
    """How drift is judged: methods, thresholds, per-feature overrides."""

    model_config = ConfigDict(extra="forbid")

    numeric_method: Statistic = "psi"
    """The deciding statistic for numeric features."""

    categorical_method: Literal["chi_square"] = "chi_square"
    """The deciding statistic for categorical features."""

    thresholds: dict[Statistic, Threshold] = Field(default_factory=dict)
    """Thresholds replacing the defaults for every feature."""

    features: dict[str, FeatureDriftConfig] = Field(default_factory=dict)
    """Per-feature overrides, keyed ``view:feature`` or ``feature``."""

    dataset_drift_share: float = Field(default=0.5, ge=0, le=1)
    """The dataset drifts when at least this share of checked features drifts."""

    min_rows: int = Field(default=10, ge=1)
    """Features with fewer non-missing values on either side are skipped."""

    ignore: list[str] = Field(default_factory=lambda: ["symbol", "event_time_of_day"])
    """Columns never checked (entity keys, the day profiles' time of day)."""

    def for_feature(self, view: str, feature: str) -> FeatureDriftConfig:
        return self.features.get(f"{view}:{feature}") or self.features.get(
            feature, FeatureDriftConfig()
        )

    def threshold(self, statistic: Statistic, override: FeatureDriftConfig) -> Threshold:
        return (
            override.thresholds.get(statistic)
            or self.thresholds.get(statistic)
            or DEFAULT_THRESHOLDS[statistic]
        )


@dataclass
class FeatureDrift:
    """One feature's drift: every statistic computed, and the deciding one's verdict."""

    feature: str
    kind: Literal["numeric", "categorical", "unknown"]
    method: Statistic | None
    scores: dict[str, float | None]
    status: Status
    threshold: float | None = None
    reason: str | None = None

    @property
    def drifted(self) -> bool:
        return self.status == "drift"


@dataclass
class DriftReport:
    """Drift of one feature view: current against reference, feature by feature."""

    feature_view: str
    checked_at: str
    current: dict[str, Any]
    reference: dict[str, Any]
    features: list[FeatureDrift]
    dataset_drift_share: float
    dataset_drift: bool
    run_id: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def drifted_features(self) -> list[str]:
        return [f.feature for f in self.features if f.drifted]

    @property
    def checked(self) -> list[FeatureDrift]:
        return [f for f in self.features if f.status != "skipped"]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DriftReport:
        features = [FeatureDrift(**f) for f in data.pop("features")]
        return cls(features=features, **data)


def detect_drift(
    current: ProfileView,
    reference: ProfileView,
    *,
    feature_view: str,
    config: DriftConfig | None = None,
    current_meta: dict[str, Any] | None = None,
    reference_meta: dict[str, Any] | None = None,
    run_id: str | None = None,
) -> DriftReport:
    """Compare every column present in both profiles; see the module doc for the maths."""
    config = config or DriftConfig()
    cur_cols, ref_cols = current.get_columns(), reference.get_columns()
    features = []
    for name in cur_cols:
        if name in config.ignore or name not in ref_cols:
            continue
        override = config.for_feature(feature_view, name)
        if override.enabled:
            features.append(_feature_drift(name, cur_cols[name], ref_cols[name], config, override))
    checked = [f for f in features if f.status != "skipped"]
    share = sum(f.drifted for f in checked) / len(checked) if checked else 0.0
    return DriftReport(
        feature_view=feature_view,
        checked_at=datetime.now(UTC).isoformat(),
        current=current_meta or {},
        reference=reference_meta or {},
        features=features,
        dataset_drift_share=share,
        dataset_drift=bool(checked) and share >= config.dataset_drift_share,
        run_id=run_id,
    )


def _feature_drift(
    name: str,
    cur: ColumnProfileView,
    ref: ColumnProfileView,
    config: DriftConfig,
    override: FeatureDriftConfig,
) -> FeatureDrift:
    cur_kll, ref_kll = _kll(cur), _kll(ref)
    if cur_kll is not None and ref_kll is not None:
        kind, method = "numeric", override.method or config.numeric_method
        if min(cur_kll.get_n(), ref_kll.get_n()) < config.min_rows:
            return FeatureDrift(name, kind, method, {}, "skipped", reason="too few values")
        scores = numeric_scores(cur, ref)
    elif cur.get_metric("frequent_items") is not None and ref.get_metric("frequent_items"):
        kind, method = "categorical", override.method or config.categorical_method
        scores = {"chi_square": chi_square_p_value(cur, ref)}
    else:
        return FeatureDrift(name, "unknown", None, {}, "skipped", reason="no values to compare")
    value = scores.get(method)
    if value is None or math.isnan(value):
        return FeatureDrift(name, kind, method, scores, "skipped", reason=f"{method} undefined")
    threshold = config.threshold(method, override)
    return FeatureDrift(
        name, kind, method, scores, _status(method, value, threshold), threshold.drift
    )


def _status(statistic: Statistic, value: float, threshold: Threshold) -> Status:
    def beyond(limit: float) -> bool:
        return value < limit if statistic in P_VALUES else value >= limit

    if beyond(threshold.drift):
        return "drift"
    if threshold.possible is not None and beyond(threshold.possible):
        return "possible_drift"
    return "no_drift"


def _kll(column: ColumnProfileView) -> Any | None:
    metric = column.get_metric("distribution")
    if metric is None or metric.kll.value.is_empty():
        return None
    return metric.kll.value


def numeric_scores(cur: ColumnProfileView, ref: ColumnProfileView) -> dict[str, float | None]:
    """KS p-value, Hellinger, PSI and Jensen–Shannon of two numeric columns' sketches."""
    cur_kll, ref_kll = _kll(cur), _kll(ref)
    hellinger = drift_algorithms.Hellinger().calculate(cur, ref)
    cur_pmf, ref_pmf = quantile_bin_masses(cur_kll, ref_kll)
    return {
        "ks": ks_p_value(cur_kll, ref_kll),
        "ks_statistic": ks_statistic(cur_kll, ref_kll),
        "hellinger": None if hellinger is None else float(hellinger.statistic),
        "psi": psi(cur_pmf, ref_pmf),
        "jensen_shannon": float(distance.jensenshannon(cur_pmf, ref_pmf)),
    }


def ks_statistic(cur_kll: Any, ref_kll: Any) -> float:
    """whylogs' KS statistic: the largest CDF gap at both sketches' 100 quantiles."""
    points = np.unique(
        np.concatenate(
            [cur_kll.get_quantiles(list(KS_QUANTILES)), ref_kll.get_quantiles(list(KS_QUANTILES))]
        )
    )
    cdf_cur = np.asarray(cur_kll.get_cdf(list(points)))[:-1]
    cdf_ref = np.asarray(ref_kll.get_cdf(list(points)))[:-1]
    return float(np.max(np.abs(cdf_cur - cdf_ref)))


def ks_p_value(cur_kll: Any, ref_kll: Any) -> float:
    """KS p-value after removing what the two sketches' rank errors can explain."""
    error = cur_kll.normalized_rank_error(False) + ref_kll.normalized_rank_error(False)
    d = max(ks_statistic(cur_kll, ref_kll) - error, 0.0)
    m, n = cur_kll.get_n(), ref_kll.get_n()
    return float(stats.kstwo.sf(d, round(m * n / (m + n))))


def quantile_bin_masses(cur_kll: Any, ref_kll: Any) -> tuple[np.ndarray, np.ndarray]:
    """Both distributions' mass in the reference's ``PSI_BINS`` quantile bins."""
    inner = np.linspace(0, 1, PSI_BINS + 1)[1:-1]
    edges = np.unique(ref_kll.get_quantiles(list(inner)))
    if len(edges) == 0:  # a constant reference: below / at-or-above it
        edges = np.array([ref_kll.get_min_value()])
    return np.asarray(cur_kll.get_pmf(list(edges))), np.asarray(ref_kll.get_pmf(list(edges)))


def psi(cur_pmf: np.ndarray, ref_pmf: np.ndarray) -> float:
    """Population stability index: sum of (cur - ref) * ln(cur / ref), empty bins floored."""
    cur = np.maximum(cur_pmf, PSI_FLOOR)
    ref = np.maximum(ref_pmf, PSI_FLOOR)
    return float(np.sum((cur - ref) * np.log(cur / ref)))


def chi_square_p_value(cur: ColumnProfileView, ref: ColumnProfileView) -> float | None:
    """whylogs' chi-square test on the columns' frequent items."""
    score = drift_algorithms.ChiSquare().calculate(cur, ref)
    return None if score is None else float(score.pvalue)
