"""The production profile end to end on real services: PostgreSQL offline tables written by
the transform job, the SQL registry in PostgreSQL, plain ``feast apply`` and ``feast
materialize`` into Redis, and training and serving answers equal to the embedded default's."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg
import pytest

from axiom_features.feature_store import open_store
from axiom_features.offline.postgres_store import connection_url
from axiom_features.pipeline import jobs
from axiom_features.synthetic.bars import generate_bars
from tests.conftest import copy_feature_repo
from tests.services import scratch_database

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

NOW = datetime(2026, 6, 30, 22, 0, tzinfo=UTC)
SYMBOLS = ["PGA", "PGB"]


@pytest.fixture(scope="module")
def module_postgres_url(postgres_url: str) -> Iterator[str]:
    with scratch_database(postgres_url) as url:
        yield url


@pytest.fixture(scope="module")
def production_repo(
    tmp_path_factory: pytest.TempPathFactory, module_postgres_url: str, redis_url: str
) -> Iterator[Path]:
    """Two symbols transformed under the production profile (so loaded into PostgreSQL)."""
    postgres_url = module_postgres_url
    cwd = os.getcwd()
    saved = {k: os.environ.get(k) for k in ("AXIOM_POSTGRES_URL", "AXIOM_REDIS_URL")}
    os.environ["AXIOM_POSTGRES_URL"], os.environ["AXIOM_REDIS_URL"] = postgres_url, redis_url
    root = copy_feature_repo(tmp_path_factory.mktemp("prod"), project=f"p{uuid.uuid4().hex[:8]}")
    jobs.ingest_frame(
        root, generate_bars(SYMBOLS, 150, seed=4, end=NOW), source="synthetic", origin="<test>"
    )
    jobs.transform(root, workers=1, profile="production")
    jobs.apply(root)  # the embedded default, to compare with
    yield root
    os.chdir(cwd)
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def _feast(root: Path, *args: str) -> subprocess.CompletedProcess:
    feast = Path(sys.executable).with_name("feast")
    return subprocess.run(
        [str(feast), "-f", "profiles/production/feature_store.yaml", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "AXIOM_OFFLINE": "postgres"},
    )


def test_the_transform_job_loads_every_view_into_postgresql_once(
    production_repo: Path, module_postgres_url: str
) -> None:
    jobs.transform(production_repo, workers=1, symbols=["PGA"], profile="production")  # again
    with psycopg.connect(connection_url(module_postgres_url)) as conn:
        rows = conn.execute(
            "SELECT symbol, count(*), count(DISTINCT event_timestamp) FROM ta_overlap "
            "GROUP BY symbol ORDER BY symbol"
        ).fetchall()
    assert [r[0] for r in rows] == SYMBOLS
    assert all(count == distinct for _, count, distinct in rows)  # no duplicates after re-run


def test_plain_feast_apply_and_materialize_work_on_the_profile(production_repo: Path) -> None:
    applied = _feast(production_repo, "apply")
    assert applied.returncode == 0, applied.stderr[-2000:]
    start = (NOW - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%S")
    done = _feast(
        production_repo,
        "materialize",
        start,
        NOW.strftime("%Y-%m-%dT%H:%M:%S"),
        "--views",
        "ta_overlap",
        "--views",
        "ta_momentum",
    )
    assert done.returncode == 0, done.stderr[-2000:]
    store = open_store(production_repo, "production")
    view = store.get_feature_view("ta_overlap")
    assert type(view.batch_source).__name__ == "PostgreSQLSource"
    online = store.get_online_features(
        features=["ta_overlap:sma_20"], entity_rows=[{"symbol": s} for s in SYMBOLS]
    ).to_dict()
    offline = store.get_historical_features(
        entity_df=pd.DataFrame({"symbol": SYMBOLS, "event_timestamp": [NOW, NOW]}),
        features=["ta_overlap:sma_20"],
    ).to_df()
    assert online["sma_20"] == pytest.approx(offline["sma_20"].tolist(), rel=1e-12)


def test_training_on_postgresql_equals_training_on_parquet(production_repo: Path) -> None:
    jobs.apply(production_repo, profile="production")
    rng = np.random.default_rng(2)
    entity = pd.DataFrame(
        {
            "symbol": rng.choice(SYMBOLS, 80),
            "event_timestamp": NOW - pd.to_timedelta(rng.integers(0, 200 * 86400, 80), unit="s"),
        }
    )

    def train(profile: str) -> pd.DataFrame:
        store = open_store(production_repo, profile)
        service = store.get_feature_service("technical_all")
        return store.get_historical_features(entity_df=entity, features=service).to_df()

    on_postgres, on_parquet = train("production"), train("default")
    assert list(on_postgres.columns) == list(on_parquet.columns)
    assert len(on_postgres.columns) > 200
    for column in on_parquet.columns[2:]:
        a, b = on_postgres[column].to_numpy(float), on_parquet[column].to_numpy(float)
        assert np.array_equal(a, b, equal_nan=True), column
    assert not math.isnan(on_postgres["sma_20"].dropna().iloc[0])


def _axiom(root: Path, *args: str) -> subprocess.CompletedProcess:
    axiom = Path(sys.executable).with_name("axiom")
    return subprocess.run(
        [str(axiom), "--repo", str(root), *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ),
    )


def test_axiom_offline_load_copies_the_tables_and_refuses_a_parquet_profile(
    production_repo: Path,
) -> None:
    done = _axiom(
        production_repo,
        "--profile",
        "production",
        "offline",
        "load",
        "--views",
        "ta_overlap",
        "--symbols",
        "PGB",
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "ta_overlap" in done.stdout and "offline load" in done.stdout
    refused = _axiom(production_repo, "offline", "load")
    assert refused.returncode == 1
    assert refused.stderr.startswith("error:") and "not PostgreSQL" in refused.stderr
