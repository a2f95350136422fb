"""With one symbol the equal-weighted market is the symbol itself: beta is missing, with a note."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from axiom_features.ingest import import_frame
from axiom_features.paths import RepoPaths
from axiom_features.pipeline import jobs
from axiom_features.pipeline.runs import RunLog
from axiom_features.synthetic.bars import generate_bars
from transforms.catalogue import catalogue
from transforms.family import SymbolInputs
from transforms.risk import RISK, RiskFamily

NOW = datetime(2026, 6, 30, 22, 0, tzinfo=UTC)
BETAS = ("risk_beta_63", "risk_beta_252")


def _inputs(symbols: list[str], own: str) -> SymbolInputs:
    frame = generate_bars(symbols, 300, seed=9, end=NOW)
    market = frame.pivot(index="event_timestamp", columns="symbol", values="close")
    bars = frame[frame["symbol"] == own].reset_index(drop=True)
    return SymbolInputs(own, bars, market=market)


def test_one_symbol_has_no_beta_to_an_equal_weighted_market_of_itself():
    out = RISK.compute(catalogue().select(["risk"]), _inputs(["AAA"], "AAA"))

    for name in BETAS:
        assert out[name].isna().all()
    assert out["risk_vol_21"].notna().any()  # the other estimators are unaffected


def test_a_configured_benchmark_gives_one_symbol_a_beta():
    family = RiskFamily(benchmark="IDX")
    out = family.compute(family.views(), _inputs(["AAA", "IDX"], "AAA"))

    assert out["risk_beta_63"].notna().sum() > 200
    assert not np.allclose(out["risk_beta_63"].dropna(), 1.0)


def test_the_transform_notes_the_missing_beta(feature_repo):
    import_frame(
        generate_bars(["AAA"], 80, seed=9, end=NOW),
        RepoPaths(feature_repo),
        run_id="r0",
        source="synthetic",
    )

    result = jobs.transform(feature_repo, views=["risk"])

    assert any("risk_beta" in note and "one symbol" in note for note in result.notes)
    record = RunLog(RepoPaths(feature_repo).runs).list("transform")[-1]
    assert any("risk_beta" in w for w in record.warnings)
