"""Success means success: under a profile whose offline store is PostgreSQL, a transform
whose PostgreSQL load failed is recorded as failed, not succeeded."""

from __future__ import annotations

from pathlib import Path

import pytest

from axiom_features.paths import RepoPaths
from axiom_features.pipeline import jobs
from axiom_features.pipeline.runs import RunLog
from axiom_features.synthetic.bars import generate_bars
from tests.services import free_port


def test_a_failed_postgresql_load_fails_the_transform_run(
    feature_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    jobs.ingest_frame(
        feature_repo, generate_bars(["AXM"], 40, seed=3), source="synthetic", origin="<test>"
    )
    monkeypatch.setenv("AXIOM_POSTGRES_URL", f"postgresql://postgres@127.0.0.1:{free_port()}/x")
    monkeypatch.setenv("AXIOM_REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    with pytest.raises(Exception, match="connection"):
        jobs.transform(feature_repo, views=["ta_cycle"], profile="production")

    log = RunLog(RepoPaths(feature_repo).runs)
    transform = log.list("transform")[-1]
    assert transform.status == "failed"
    assert transform.error.startswith("PostgreSQL unreachable at postgresql://")
    assert log.list("offline load")[-1].status == "failed"
